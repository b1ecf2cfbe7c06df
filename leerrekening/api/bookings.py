"""Worker API: the catalogue, my bookings (book with a fresh confirmation, cancel)."""

from __future__ import annotations

import hashlib

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from leerportaal.api.idempotency import IDEMPOTENCY_HEADER, idempotent
from leerportaal.api.permissions import IsWorker
from leerrekening.bookings import services as bookings
from leerrekening.bookings.confirmation import fresh_confirmation_check, one_time_code_send
from leerrekening.bookings.selectors import bookings_of
from leerrekening.catalogue.selectors import CatalogueFilters, catalogue_search
from leerrekening.models import Course


class CourseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    provider = serializers.CharField(source="provider.name")
    description = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    format = serializers.CharField()
    location = serializers.CharField()
    duration_hours = serializers.IntegerField()
    start_date = serializers.DateField()


class CoursesApi(APIView):
    """Approved courses that can be booked, searched in Dutch (stemming; typos tolerated)."""

    permission_classes = [IsWorker]

    class CourseQuery(serializers.Serializer):
        search = serializers.CharField(required=False, allow_blank=True, max_length=200)
        format = serializers.ChoiceField(choices=Course.Format.choices, required=False)
        max_price = serializers.DecimalField(
            max_digits=12, decimal_places=2, required=False, min_value=0
        )
        start_from = serializers.DateField(required=False)

    @extend_schema(
        operation_id="courses",
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR),
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=[c for c, _ in Course.Format.choices]
            ),
            OpenApiParameter("max_price", OpenApiTypes.DECIMAL),
            OpenApiParameter("start_from", OpenApiTypes.DATE),
        ],
        responses=CourseOutput(many=True),
    )
    def get(self, request):
        query = self.CourseQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        courses, _typo = catalogue_search(
            filters=CatalogueFilters(
                q=values.get("search", ""),
                format=values.get("format", ""),
                max_price=values.get("max_price"),
                start_from=values.get("start_from"),
            )
        )
        return Response(CourseOutput(courses.select_related("provider")[:100], many=True).data)


class BookingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    course_title = serializers.CharField(source="course.title")
    status = serializers.CharField()
    price = serializers.DecimalField(max_digits=14, decimal_places=2)
    budget_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    own_contribution = serializers.DecimalField(max_digits=14, decimal_places=2)
    created_at = serializers.DateTimeField()


class MyBookingsApi(APIView):
    permission_classes = [IsWorker]

    class BookingInput(serializers.Serializer):
        course = serializers.IntegerField()
        work_related = serializers.BooleanField()
        pays_rest_self = serializers.BooleanField(required=False, default=False)
        password = serializers.CharField(required=False, allow_blank=True, write_only=True)
        code = serializers.CharField(
            required=False, allow_blank=True, max_length=12, write_only=True
        )

        def validate(self, attrs):
            if not attrs.get("password") and not attrs.get("code"):
                raise serializers.ValidationError(
                    {"password": ["Confirm with your password or the code sent by e-mail."]}
                )
            return attrs

    @extend_schema(operation_id="me_bookings", responses=BookingOutput(many=True))
    def get(self, request):
        return Response(BookingOutput(bookings_of(worker=request.user), many=True).data)

    @extend_schema(
        operation_id="me_booking_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=BookingInput,
        responses={201: BookingOutput},
    )
    @idempotent
    def post(self, request):
        data = self.BookingInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        # The same confirmation a browser booking asks: a stolen session alone cannot spend. The
        # password is checked here, the code by booking_create; a wrong one is counted in a write
        # of its own (this request's transaction rolls back on a refusal).
        password = values.get("password", "")
        if password and not fresh_confirmation_check(
            user=request.user, password=password, lock_checked_later=True
        ):
            raise bookings.ConfirmationFailed(_("Je wachtwoord klopt niet."))
        course = get_object_or_404(Course.objects.approved(), pk=values["course"])
        token = hashlib.sha256(request.headers["Idempotency-Key"].encode()).hexdigest()
        booking = bookings.booking_create(
            worker=request.user,
            course=course,
            work_related=values["work_related"],
            pays_rest_self=values["pays_rest_self"],
            request_token=token,
            code=None if password else values["code"],
        )
        return Response(BookingOutput(booking).data, status=status.HTTP_201_CREATED)


class MyBookingCodeApi(APIView):
    """E-mail a one-time code to confirm a booking with (`code` of me_booking_create) instead of
    the password. At most 3 per 15 minutes: then 429 with Retry-After and `retry_at`."""

    permission_classes = [IsWorker]

    @extend_schema(operation_id="me_booking_code_send", request=None, responses={202: None})
    def post(self, request):
        record = one_time_code_send(user=request.user)
        return Response(
            {"sent_to": request.user.email, "expires_at": record.expires_at.isoformat()},
            status=status.HTTP_202_ACCEPTED,
        )


class MyBookingCancelApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(
        operation_id="me_booking_cancel",
        parameters=[IDEMPOTENCY_HEADER],
        request=None,
        responses=BookingOutput,
    )
    @idempotent
    def post(self, request, booking_id: int):
        booking = get_object_or_404(bookings_of(worker=request.user), pk=booking_id)
        booking = bookings.booking_cancel(booking=booking, by=request.user)
        return Response(BookingOutput(booking).data)
