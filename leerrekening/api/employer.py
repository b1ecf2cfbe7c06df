"""Employer API (organisation API key): deposits, deposit batches, hires and ended employments.

Deposits are applied by Celery like those made in the admin: the API answers 202 with the
batch, whose status and progress can be read back. Calls that move money need an
Idempotency-Key: a retried call returns the first answer and makes no second batch.

A key acts on its own employer's roster only. A job change (overstap) is two calls by two
employers: the new one registers the hire (job-changes/), the former one ends its own employment
(employments/end/). Neither answer says anything about other employers or whether the person
already had an account, so a key cannot probe who works where.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Employer, Employment
from accounts.services import InvalidEndDate, employment_end, employment_hire
from leerportaal.api.errors import ApiError
from leerportaal.api.idempotency import IDEMPOTENCY_HEADER, idempotent
from leerportaal.api.permissions import IsEmployerKey
from leerportaal.errors import DomainError
from leerrekening.deposits import services as deposit_services
from leerrekening.models import DepositBatch, Funder, Tranche


class EmployerApiView(APIView):
    """Every domain error a service raises answers with its own code, status and message (plus
    its details), through the one base class: no mapping per error class here."""

    def handle_exception(self, exc):
        if isinstance(exc, DomainError):
            exc = ApiError(
                code=exc.code,
                message=str(exc.message),
                status_code=exc.status,
                extra=exc.details,
                headers=exc.headers,
            )
        return super().handle_exception(exc)


def _funder_of(employer: Employer) -> Funder:
    funder = Funder.objects.filter(employer=employer).first()
    if funder is None:
        raise ApiError(
            code="no_prepaid_account",
            message="This employer has no prepaid account yet; ask the portal team.",
            status_code=409,
        )
    return funder


class BatchOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    line_count = serializers.IntegerField()
    lines_applied = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount_applied = serializers.DecimalField(max_digits=14, decimal_places=2)
    progress = serializers.SerializerMethodField()
    errors = serializers.ListField(child=serializers.DictField())
    stop_message = serializers.CharField()

    def get_progress(self, obj) -> float:
        return round(obj.lines_applied / obj.line_count, 4) if obj.line_count else 0.0


class DepositInput(serializers.Serializer):
    employee_number = serializers.CharField(max_length=50)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    source = serializers.ChoiceField(choices=Tranche.Source.choices, default=Tranche.Source.CAO)
    deposit_date = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False, allow_null=True)
    at_end = serializers.ChoiceField(
        choices=Tranche.AtEnd.choices, default=Tranche.AtEnd.RETURN_TO_FUNDER
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)


class DepositsApi(EmployerApiView):
    permission_classes = [IsEmployerKey]

    @extend_schema(
        operation_id="employer_deposit_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=DepositInput,
        responses={202: BatchOutput},
    )
    @idempotent
    def post(self, request):
        data = DepositInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        employer = request.user.employer
        deposit_date = values.get("deposit_date") or timezone.localdate()
        employment = (
            Employment.objects.filter(
                employer=employer, employee_number=values["employee_number"].strip()
            )
            .order_by("-start_date")
            .first()
        )
        if employment is None:
            raise ApiError(
                code="validation_error",
                message="Unknown employee number for this employer.",
                extra={"fields": {"employee_number": ["Unknown employee number."]}},
            )
        batch = deposit_services.deposit_single_create(
            funder=_funder_of(employer),
            employment=employment,
            amount=values["amount"],
            source=values["source"],
            deposit_date=deposit_date,
            ends_on=values.get("ends_on"),
            at_end=values["at_end"],
            description=values.get("description", ""),
            by=None,
        )
        return Response(BatchOutput(batch).data, status=status.HTTP_202_ACCEPTED)


class BatchLineInput(serializers.Serializer):
    employee_number = serializers.CharField(max_length=50)
    amount = serializers.CharField(max_length=30)
    source = serializers.CharField(required=False, allow_blank=True, max_length=20)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)


class BatchInput(serializers.Serializer):
    lines = BatchLineInput(many=True, required=False)
    file = serializers.FileField(required=False)
    deposit_date = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False, allow_null=True)
    at_end = serializers.ChoiceField(
        choices=Tranche.AtEnd.choices, default=Tranche.AtEnd.RETURN_TO_FUNDER
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs):
        if bool(attrs.get("lines")) == bool(attrs.get("file")):
            raise serializers.ValidationError(
                {"lines": ["Send either `lines` (JSON) or `file` (CSV)."]}
            )
        return attrs


def _lines_as_csv(lines: list[dict]) -> io.BytesIO:
    """JSON lines go through the same validator as an uploaded file, with the same line numbers
    (line 1 is the header, so JSON line i is reported as line i + 2)."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(["personeelsnummer", "bedrag", "bron", "omschrijving"])
    for line in lines:
        writer.writerow(
            [
                line["employee_number"],
                line["amount"],
                line.get("source") or "cao",
                line.get("description", ""),
            ]
        )
    return io.BytesIO(text.getvalue().encode())


class DepositBatchesApi(EmployerApiView):
    permission_classes = [IsEmployerKey]
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        operation_id="employer_deposit_batch_create",
        parameters=[IDEMPOTENCY_HEADER],
        request={"application/json": BatchInput, "multipart/form-data": BatchInput},
        responses={202: BatchOutput, 422: BatchOutput},
    )
    @idempotent
    def post(self, request):
        data = BatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        employer = request.user.employer
        upload = values.get("file")
        stream = upload.file if upload else _lines_as_csv(values["lines"])
        batch = deposit_services.deposit_batch_upload(
            funder=_funder_of(employer),
            employer=employer,
            stream=stream,
            file_name=upload.name if upload else "api.json",
            deposit_date=values.get("deposit_date") or timezone.localdate(),
            ends_on=values.get("ends_on"),
            at_end=values["at_end"],
            description=values.get("description", ""),
            by=None,
        )
        if batch.status != DepositBatch.Status.VALIDATED:
            # Rejected: every bad line with its number and reason; nothing was applied.
            return Response(
                {"code": "batch_rejected", "message": "The batch has bad lines; nothing was applied.",
                 **BatchOutput(batch).data},
                status=422,
            )  # fmt: skip
        batch = deposit_services.deposit_batch_confirm(batch=batch, by=None)
        return Response(BatchOutput(batch).data, status=status.HTTP_202_ACCEPTED)


class DepositBatchDetailApi(EmployerApiView):
    permission_classes = [IsEmployerKey]

    @extend_schema(operation_id="employer_deposit_batch", responses=BatchOutput)
    def get(self, request, batch_id: int):
        # Only batches the key's own funder made: a sector fund's batch paid to this employer's
        # roster is the fund's business, and answers 404 exactly like an id that does not exist.
        batch = get_object_or_404(
            DepositBatch.objects.filter(funder__employer=request.user.employer), pk=batch_id
        )
        return Response(BatchOutput(batch).data)


class HireInput(serializers.Serializer):
    # An old client's `from_employer_kvk` is an unknown field, so it is ignored: this call never
    # touches another employer (see JobChangesApi).
    email = serializers.EmailField(
        help_text="The person's e-mail address (case-insensitive); a new worker if unknown."
    )
    employee_number = serializers.CharField(
        max_length=50, help_text="Your employee number for them (leading zeros count)."
    )
    start_date = serializers.DateField(help_text="First day of the new employment.")
    full_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Your own name for them, kept on your roster. The account's own name is never shown "
            "to you or changed."
        ),
    )


class EmploymentChangeOutput(serializers.Serializer):
    employment = serializers.IntegerField(source="pk")
    employee_number = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)


class JobChangesApi(EmployerApiView):
    """Register a hire (new employment) at the key's own employer; the former employer ends its
    own employment (EmploymentEndApi). Nothing of another employer is read or changed, and the
    answer is the same whether or not the person was known or employed elsewhere."""

    permission_classes = [IsEmployerKey]

    @extend_schema(
        operation_id="employer_job_change_create",
        summary="Register a hire (new employment)",
        description=(
            "Starts an open-ended employment of the person at your own employer. The former "
            "employer ends its own employment; nothing of any other employer is changed. The "
            "answer does not say whether the person was already known. `from_employer_kvk`, sent "
            "by older clients, is ignored. The learning account is untouched."
        ),
        request=HireInput,
        responses={
            201: EmploymentChangeOutput,
            409: OpenApiResponse(
                description="`employment_overlap`: already employed by you in that period."
            ),
        },
    )
    def post(self, request):
        data = HireInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        # EmploymentOverlap (409 employment_overlap): an overlap with the key's own employment only.
        employment = employment_hire(
            employer=request.user.employer,
            email=values["email"],
            full_name=values["full_name"],
            employee_number=values["employee_number"],
            start_date=values["start_date"],
        )
        return Response(EmploymentChangeOutput(employment).data, status=status.HTTP_201_CREATED)


class EmploymentEndInput(serializers.Serializer):
    employee_number = serializers.CharField(
        max_length=50, help_text="Your employee number of the employment to end."
    )
    end_date = serializers.DateField(help_text="Last day worked (inclusive).")


class EmploymentEndApi(EmployerApiView):
    """End (or shorten) one of the key's own employer's employments. Another employer's employee
    numbers are simply not found: 404, never touched. The learning account is untouched; the
    employer's scheme deposits for the person stop from the day after end_date."""

    permission_classes = [IsEmployerKey]

    @extend_schema(
        operation_id="employer_employment_end",
        summary="End one of your employments",
        request=EmploymentEndInput,
        responses={
            200: EmploymentChangeOutput,
            404: OpenApiResponse(description="`not_found`: you have no such employee number."),
            422: OpenApiResponse(
                description="`invalid_end_date` (in `fields.end_date`): before the start, or the "
                "employment already ended before that day (ending only ends or shortens). Ending "
                "again on the same day answers 200 and changes nothing."
            ),
        },
    )
    def post(self, request):
        data = EmploymentEndInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        end_date = values["end_date"]
        own = Employment.objects.filter(
            employer=request.user.employer, employee_number=values["employee_number"].strip()
        )
        # The one running on end_date; else the latest, so that employment_end can say why not
        # (it starts after end_date, or it already ended).
        employment = own.active_on(end_date).first() or own.order_by("-start_date").first()
        if employment is None:
            raise ApiError(
                code="not_found",
                message="Unknown employee number for this employer.",
                status_code=404,
            )
        if employment.end_date == end_date:
            # The same call again (a payroll system's retry): the answer it had, nothing changed.
            return Response(EmploymentChangeOutput(employment).data)
        try:
            employment = employment_end(employment=employment, end_date=end_date)
        except InvalidEndDate as exc:
            exc.details.setdefault("fields", {"end_date": [str(exc)]})  # 422 invalid_end_date
            raise
        return Response(EmploymentChangeOutput(employment).data)
