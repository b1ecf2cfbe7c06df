"""Worker API over the ledger: my account and my transfers."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leerportaal.api.errors import register_domain_error
from leerportaal.api.permissions import IsWorker
from leerrekening import ledger, selectors

register_domain_error(ledger.InsufficientFunds, 422)
register_domain_error(ledger.IdempotencyConflict, 422)
register_domain_error(ledger.ReservationAlreadySettled, 409)
register_domain_error(ledger.OperationNotAllowed, 409)
register_domain_error(ledger.InvalidAmount, 400)


class TrancheOutput(serializers.Serializer):
    funder = serializers.CharField(source="funder.name")
    source = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    remaining = serializers.DecimalField(max_digits=14, decimal_places=2)
    ends_on = serializers.DateField(allow_null=True)
    at_end = serializers.CharField()


class MeAccountApi(APIView):
    permission_classes = [IsWorker]

    class AccountOutput(serializers.Serializer):
        balance = serializers.DecimalField(max_digits=14, decimal_places=2, source="total")
        reserved = serializers.DecimalField(max_digits=14, decimal_places=2)
        available = serializers.DecimalField(max_digits=14, decimal_places=2)
        tranches = TrancheOutput(many=True)

    @extend_schema(operation_id="me_account", responses=AccountOutput)
    def get(self, request):
        summary = selectors.account_summary(worker=request.user)
        data = {
            "total": summary.total,
            "reserved": summary.reserved,
            "available": summary.available,
            "tranches": list(selectors.tranches_of(worker=request.user)),
        }
        return Response(self.AccountOutput(data).data)


class MeTransfersApi(APIView):
    """My transfers, newest first; pass `before` (the previous page's `next_before`) for older ones."""

    permission_classes = [IsWorker]

    class TransferEntry(serializers.Serializer):
        id = serializers.IntegerField(source="transfer_id")
        created_at = serializers.DateTimeField()
        kind = serializers.CharField()
        amount = serializers.DecimalField(max_digits=14, decimal_places=2)
        counterparty = serializers.CharField()

    class TransferQuery(serializers.Serializer):
        before = serializers.IntegerField(required=False, min_value=1)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)

    @extend_schema(
        operation_id="me_transfers",
        parameters=[
            OpenApiParameter(
                "before", OpenApiTypes.INT, description="Older than this transfer id."
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description="Page size, 1-100."),
        ],
        responses=inline_serializer(
            "TransferPage",
            {
                "results": TransferEntry(many=True),
                "next_before": serializers.IntegerField(allow_null=True),
            },
        ),
    )
    def get(self, request):
        query = self.TransferQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = selectors.worker_history(
            worker=request.user,
            before=query.validated_data.get("before"),
            limit=query.validated_data["limit"],
        )
        return Response(
            {
                "results": self.TransferEntry(page.entries, many=True).data,
                "next_before": page.next_before,
            }
        )
