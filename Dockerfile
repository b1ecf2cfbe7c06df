FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
RUN pip install --no-cache-dir --upgrade pip
COPY . .
RUN pip install --no-cache-dir . \
 && DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    SECRET_KEY=build-only python manage.py collectstatic --noinput \
 && DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    SECRET_KEY=build-only python manage.py compilemessages
# /metrics: the metrics volume of docker-compose.yml (a new volume takes this folder's owner).
RUN useradd --create-home leerportaal && chown -R leerportaal /app \
 && mkdir /metrics && chown leerportaal /metrics
USER leerportaal
EXPOSE 8000
# Processes, threads and the rest: gunicorn.conf.py (the same settings bench/portal.py measures).
CMD ["gunicorn", "leerportaal.wsgi:application"]
