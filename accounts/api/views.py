"""Employer API (organisation API key): the roster of employments."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import Employment
from leerportaal.api.pagination import Pagination
from leerportaal.api.permissions import IsEmployerKey


class EmploymentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    employee_number = serializers.CharField()
    # The roster data the employer gave, never the account's own name or login address.
    email = serializers.CharField()
    full_name = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)


class EmploymentsApi(APIView):
    """The employer's own roster. Never anything about a worker's account or bookings."""

    permission_classes = [IsEmployerKey]

    class EmploymentInput(serializers.Serializer):
        email = serializers.EmailField()
        full_name = serializers.CharField(max_length=200)
        employee_number = serializers.RegexField(r"^[0-9A-Za-z-]{1,50}$")
        start_date = serializers.DateField()
        end_date = serializers.DateField(required=False, allow_null=True)

        def validate(self, attrs):
            if attrs.get("end_date") and attrs["end_date"] < attrs["start_date"]:
                raise serializers.ValidationError({"end_date": ["Ends before it starts."]})
            return attrs

    @extend_schema(
        operation_id="employer_employments",
        parameters=[
            OpenApiParameter("limit", OpenApiTypes.INT, description="Page size."),
            OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
        ],
        responses=inline_serializer(
            "EmploymentPage",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": EmploymentOutput(many=True),
            },
        ),
    )
    def get(self, request):
        qs = Employment.objects.filter(employer=request.user.employer).order_by(
            "employee_number", "id"
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(EmploymentOutput(page, many=True).data)

    @extend_schema(
        operation_id="employer_employment_create",
        request=EmploymentInput,
        responses={201: EmploymentOutput},
    )
    def post(self, request):
        data = self.EmploymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        # EmploymentOverlap is answered by the API's handler: 409 employment_overlap.
        employment = services.employment_hire(
            employer=request.user.employer,
            email=values["email"],
            full_name=values["full_name"],
            employee_number=values["employee_number"],
            start_date=values["start_date"],
            end_date=values.get("end_date"),
        )
        return Response(EmploymentOutput(employment).data, status=status.HTTP_201_CREATED)
