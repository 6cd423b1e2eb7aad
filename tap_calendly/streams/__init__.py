"""Calendly streams, one module per API domain."""

from __future__ import annotations

from tap_calendly.streams.activity import ActivityLogEntriesStream
from tap_calendly.streams.availability import (
    EventTypeAvailableTimesStream,
    UserAvailabilitySchedulesStream,
    UserBusyTimesStream,
)
from tap_calendly.streams.organization import (
    GroupsStream,
    OrganizationInvitationsStream,
    OrganizationMembershipsStream,
    UsersStream,
)
from tap_calendly.streams.routing import RoutingFormsStream, RoutingFormSubmissionsStream
from tap_calendly.streams.scheduling import (
    EventInviteesStream,
    EventTypesStream,
    ScheduledEventsStream,
)
from tap_calendly.streams.webhooks import WebhookSubscriptionsStream

STREAM_TYPES = (
    UsersStream,
    OrganizationMembershipsStream,
    OrganizationInvitationsStream,
    GroupsStream,
    EventTypesStream,
    ScheduledEventsStream,
    EventInviteesStream,
    RoutingFormsStream,
    RoutingFormSubmissionsStream,
    ActivityLogEntriesStream,
    UserBusyTimesStream,
    EventTypeAvailableTimesStream,
    UserAvailabilitySchedulesStream,
    WebhookSubscriptionsStream,
)

__all__ = ["STREAM_TYPES"]
