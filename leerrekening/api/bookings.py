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
from leerrekening.services.confirmation import (
    ConfirmationLocked,
    TooManyCodesSent,
    fresh_confirmation_check,
    one_time_code_send,
    seconds_until,
)

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


def confirmation_locked_error(exc: ConfirmationLocked) -> ApiError:
    return ApiError(
        code="confirmation_locked",
        message="Too many wrong passwords or codes: confirming is locked until "
        f"{exc.locked_until.isoformat()}. Try again after that.",
        status_code=429,
        extra={"locked_until": exc.locked_until.isoformat()},
        headers={"Retry-After": str(seconds_until(exc.locked_until))},
    )


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
        # The same confirmation a browser booking asks: a stolen session alone cannot spend. The
        # password is checked here, the code by booking_create; a wrong one is counted in a write
        # of its own (this request's transaction rolls back on a refusal).
        password = values.get("password", "")
        wrong = ApiError(
            code="confirmation_failed",
            message="The password or code is not right.",
            status_code=403,
        )
        try:
            if password and not fresh_confirmation_check(
                user=request.user, password=password, lock_checked_later=True
            ):
                raise wrong
            course = get_object_or_404(Course.objects.approved(), pk=values["course"])
            token = hashlib.sha256(request.headers["Idempotency-Key"].encode()).hexdigest()
            booking = booking_services.booking_create(
                worker=request.user,
                course=course,
                work_related=values["work_related"],
                pays_rest_self=values["pays_rest_self"],
                request_token=token,
                code=None if password else values["code"],
            )
        except ConfirmationLocked as exc:
            raise confirmation_locked_error(exc) from exc
        except booking_services.ConfirmationFailed as exc:
            raise wrong from exc
        except booking_services.BookingError as exc:
            raise booking_error(exc) from exc
        return Response(BookingOutput(booking).data, status=status.HTTP_201_CREATED)


class MyBookingCodeApi(APIView):
    """E-mail a one-time code to confirm a booking with (`code` of me_booking_create) instead of
    the password. At most 3 per 15 minutes: then 429 with Retry-After and `retry_at`."""

    permission_classes = [IsWorker]

    @extend_schema(operation_id="me_booking_code_send", request=None, responses={202: None})
    def post(self, request):
        try:
            record = one_time_code_send(user=request.user)
        except TooManyCodesSent as exc:
            raise ApiError(
                code="too_many_codes",
                message="3 codes were sent in the last 15 minutes: check your e-mail. A new "
                f"code can be asked from {exc.retry_at.isoformat()}.",
                status_code=429,
                extra={"retry_at": exc.retry_at.isoformat()},
                headers={"Retry-After": str(seconds_until(exc.retry_at))},
            ) from exc
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
        try:
            booking = booking_services.booking_cancel(booking=booking, by=request.user)
        except booking_services.BookingError as exc:
            raise booking_error(exc) from exc
        return Response(BookingOutput(booking).data)


register_domain_error(booking_services.BookingError, 409)
