"""A deposit batch line refers to its employment and worker with one composite foreign key,
(employment_id, worker_id) -> accounts_employment (id, worker_id), instead of one key each.

It says more (the line pays the very worker of its employment, which two separate keys did not
guarantee) and costs less: PostgreSQL checks a foreign key row by row, so a 100,000-line batch
now makes 100,000 checks fewer at commit. Django has no composite foreign keys, so the fields
keep their ForeignKey (for the ORM) without a constraint of their own, and this adds the key.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_employment_id_worker_unique'),
        ('leerrekening', '0015_deposit_batch_chunks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='depositbatchline',
            name='employment',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.employment'),
        ),
        migrations.AlterField(
            model_name='depositbatchline',
            name='worker',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunSQL(
            sql=(
                "ALTER TABLE leerrekening_depositbatchline"
                " ADD CONSTRAINT batch_line_employment_worker_fk"
                " FOREIGN KEY (employment_id, worker_id)"
                " REFERENCES accounts_employment (id, worker_id)"
                " DEFERRABLE INITIALLY DEFERRED"
            ),
            reverse_sql=(
                "ALTER TABLE leerrekening_depositbatchline"
                " DROP CONSTRAINT batch_line_employment_worker_fk"
            ),
        ),
    ]
