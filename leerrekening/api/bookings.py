"""Worker API: the catalogue, my bookings (book with a fresh confirmation, cancel)."""

from __future__ import annotations

import hashlib

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from leerportaal.api.errors import ApiError, register_domain_error
from leerportaal.api.idempotency import IDEMPOTENCY_HEADER, idempotent
from leerportaal.api.permissions import IsWorker
from leerrekening.models import Course
from leerrekening.selectors_portal import CatalogueFilters, bookings_of, catalogue_search
from leerrekening.services import bookings as booking_services
from leerrekening.services.confirmation import fresh_confirmation_check

BOOKING_ERRORS = {
    booking_services.NotWorkRelated: ("not_work_related", 422),
    booking_services.CourseNotBookable: ("course_not_bookable", 409),
    booking_services.CourseFull: ("course_full", 409),
    booking_services.CourseBookingCapReached: ("course_booking_cap_reached", 409),
    booking_services.TooManyPendingBookings: ("too_many_pending_bookings", 409),
    booking_services.AlreadyBooked: ("already_booked", 409),
    booking_services.InsufficientBudget: ("insufficient_funds", 422),
    booking_services.RequestTokenReused: ("idempotency_conflict", 422),
    booking_services.BookingNotCancellable: ("booking_not_cancellable", 409),
    booking_services.BookingNotStartable: ("booking_not_startable", 409),
    booking_services.StartTooEarly: ("start_too_early", 409),
    booking_services.NotProviderStaff: ("not_found", 404),
    booking_services.AccountFrozen: ("account_frozen", 403),
}


def booking_error(exc: booking_services.BookingError) -> ApiError:
    for exc_class in type(exc).__mro__:
        if exc_class in BOOKING_ERRORS:
            code, http_status = BOOKING_ERRORS[exc_class]
            return ApiError(code=code, message=str(exc) or code, status_code=http_status)
    return ApiError(code="booking_error", message=str(exc), status_code=409)


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
        # The same confirmation a browser booking asks: a stolen session alone cannot spend.
        if not fresh_confirmation_check(
            user=request.user, password=values.get("password", ""), code=values.get("code", "")
        ):
            raise ApiError(
                code="confirmation_failed",
                message="The password or code is not right.",
                status_code=403,
            )
        course = get_object_or_404(Course.objects.approved(), pk=values["course"])
        token = hashlib.sha256(request.headers["Idempotency-Key"].encode()).hexdigest()
        try:
            booking = booking_services.booking_create(
                worker=request.user,
                course=course,
                work_related=values["work_related"],
                pays_rest_self=values["pays_rest_self"],
                request_token=token,
            )
        except booking_services.BookingError as exc:
            raise booking_error(exc) from exc
        return Response(BookingOutput(booking).data, status=status.HTTP_201_CREATED)


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
        try:
            booking = booking_services.booking_cancel(booking=booking, by=request.user)
        except booking_services.BookingError as exc:
            raise booking_error(exc) from exc
        return Response(BookingOutput(booking).data)


register_domain_error(booking_services.BookingError, 409)
