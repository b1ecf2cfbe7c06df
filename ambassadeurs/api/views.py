"""Ambassador API: open requests (list, claim) and my conversations (create, list).

The services' refusals are DomainErrors (ambassadeurs.services.AmbassadorError): the API's
exception handler answers them with their code and status (not_found, already_claimed,
validation_error with `fields`)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ambassadeurs import selectors, services
from ambassadeurs.models import Channel, ConversationRequest, Outcome, Topic
from leerportaal.api.errors import ApiError
from leerportaal.api.permissions import IsAmbassador


class RequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.CharField()
    channel = serializers.CharField()
    message = serializers.CharField()
    status = serializers.CharField()
    employer = serializers.CharField(source="employer.name")
    worker_name = serializers.SerializerMethodField()
    # What the worker chose to show the ambassadors of their workplace (the browser shows it too).
    contact = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_worker_name(self, obj) -> str | None:
        # Only the ambassador who claimed it learns who asked (the browser shows the same); an
        # anonymous request has no name.
        viewer = self.context["request"].user
        if obj.worker_id and obj.claimed_by_id == viewer.pk:
            return obj.worker.full_name
        return None


class RequestListApi(APIView):
    permission_classes = [IsAmbassador]

    @extend_schema(operation_id="ambassador_requests", responses=RequestOutput(many=True))
    def get(self, request):
        qs = selectors.requests_visible_to_ambassador(ambassador=request.user).select_related(
            "employer", "worker"
        )
        return Response(RequestOutput(qs, many=True, context={"request": request}).data)


class RequestClaimApi(APIView):
    permission_classes = [IsAmbassador]

    @extend_schema(operation_id="ambassador_request_claim", request=None, responses=RequestOutput)
    def post(self, request, request_id: int):
        visible = selectors.requests_visible_to_ambassador(ambassador=request.user)
        conversation_request = get_object_or_404(visible, pk=request_id)
        # A refusal (services.AmbassadorError, a DomainError) is answered by the API's handler.
        claimed = services.request_claim(request=conversation_request, ambassador=request.user)
        claimed = ConversationRequest.objects.select_related("employer", "worker").get(
            pk=claimed.pk
        )
        return Response(RequestOutput(claimed, context={"request": request}).data)


class ConversationApi(APIView):
    permission_classes = [IsAmbassador]

    class ConversationInput(serializers.Serializer):
        held_on = serializers.DateField()
        duration_minutes = serializers.IntegerField(min_value=1, max_value=480)
        channel = serializers.ChoiceField(choices=Channel.choices)
        topics = serializers.ListField(
            child=serializers.ChoiceField(choices=Topic.choices), min_length=1
        )
        outcome = serializers.ChoiceField(choices=Outcome.choices)
        follow_up_on = serializers.DateField(required=False, allow_null=True)
        private_notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        notes_shared = serializers.BooleanField(required=False, default=False)
        request_id = serializers.IntegerField(required=False, allow_null=True)
        employer_id = serializers.IntegerField(required=False, allow_null=True)

    class ConversationOutput(serializers.Serializer):
        id = serializers.IntegerField()
        held_on = serializers.DateField()
        duration_minutes = serializers.IntegerField()
        channel = serializers.CharField()
        topics = serializers.SerializerMethodField()
        outcome = serializers.CharField()
        follow_up_on = serializers.DateField(allow_null=True)
        private_notes = serializers.CharField()
        notes_shared = serializers.BooleanField()
        linked_to_worker = serializers.SerializerMethodField()

        def get_topics(self, obj) -> list[str]:
            return sorted(t.topic for t in obj.topics.all())

        def get_linked_to_worker(self, obj) -> bool:
            return obj.worker_id is not None

    @extend_schema(operation_id="ambassador_conversations", responses=ConversationOutput(many=True))
    def get(self, request):
        qs = selectors.conversations_of_ambassador(ambassador=request.user).prefetch_related(
            "topics"
        )
        return Response(self.ConversationOutput(qs, many=True).data)

    @extend_schema(
        operation_id="ambassador_conversation_create",
        request=ConversationInput,
        responses={201: ConversationOutput},
    )
    def post(self, request):
        data = self.ConversationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        request_id = values.pop("request_id", None)
        employer_id = values.pop("employer_id", None)
        conversation_request = None
        if request_id is not None:
            conversation_request = get_object_or_404(
                selectors.claimed_requests_of(ambassador=request.user), pk=request_id
            )
        employer = None
        if employer_id is not None:
            employer = get_object_or_404(
                selectors.employers_served_by(ambassador=request.user), pk=employer_id
            )
        if conversation_request is None and employer is None:
            raise ApiError(
                code="validation_error",
                message="Give request_id (a request you claimed) or employer_id (a workplace you serve).",
                extra={"fields": {"request_id": ["request_id or employer_id is required."]}},
            )
        conversation = services.conversation_log(
            ambassador=request.user,
            request=conversation_request,
            employer=employer or (conversation_request.employer if conversation_request else None),
            **values,
        )
        conversation = (
            selectors.conversations_of_ambassador(ambassador=request.user)
            .prefetch_related("topics")
            .get(pk=conversation.pk)
        )
        return Response(self.ConversationOutput(conversation).data, status=status.HTTP_201_CREATED)
