"""Provider API (organisation API key): bookings for our courses, and declaring a start.

A provider sees only bookings of its own courses, with what the course needs (name, e-mail),
never a balance. It cannot create a booking or a charge: declaring the start moves exactly
the amount the worker reserved, to this provider.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leerportaal.api.idempotency import IDEMPOTENCY_HEADER, idempotent
from leerportaal.api.permissions import IsProviderKey
from leerrekening.bookings import services as bookings
from leerrekening.bookings.selectors import bookings_for_provider


class ProviderBookingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    course_title = serializers.CharField(source="course.title")
    start_date = serializers.DateField(source="course.start_date")
    status = serializers.CharField()
    price = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid_from_learning_account = serializers.DecimalField(
        max_digits=14, decimal_places=2, source="budget_amount"
    )
    worker_name = serializers.CharField(source="worker.full_name")
    worker_email = serializers.EmailField(source="worker.email")


class ProviderBookingsApi(APIView):
    permission_classes = [IsProviderKey]

    @extend_schema(operation_id="provider_bookings", responses=ProviderBookingOutput(many=True))
    def get(self, request):
        rows = bookings_for_provider(request.user.provider)[:500]
        return Response(ProviderBookingOutput(rows, many=True).data)


class ProviderBookingStartApi(APIView):
    permission_classes = [IsProviderKey]

    @extend_schema(
        operation_id="provider_booking_start",
        parameters=[IDEMPOTENCY_HEADER],
        request=None,
        responses=ProviderBookingOutput,
    )
    @idempotent
    def post(self, request, booking_id: int):
        booking = get_object_or_404(bookings_for_provider(request.user.provider), pk=booking_id)
        booking = bookings.booking_declare_start(
            booking=booking, by=None, provider=request.user.provider
        )
        booking = bookings_for_provider(request.user.provider).get(pk=booking.pk)
        return Response(ProviderBookingOutput(booking).data)
