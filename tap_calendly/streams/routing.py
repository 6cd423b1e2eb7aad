"""Routing forms and their submissions.

Submissions can only be listed per form and sorted by ``created_at``; there is no time
filter. Incremental runs sort newest first and stop paging once a page reaches
submissions created before ``max(start_date, bookmark - lookback_days)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from tap_calendly.streams.base import CalendlyStream, ChildStream, Record
from tap_calendly.streams.scheduling import LookbackStream
from tap_calendly.streams.schema import (
    array,
    boolean,
    datetime_,
    key_string,
    obj,
    record,
    string,
    tracking,
)
from tap_calendly.windows import format_api_time

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class RoutingFormsStream(CalendlyStream):
    """``/routing_forms?organization=`` (403 skips: plan or role)."""

    name = "routing_forms"
    path = "/routing_forms"
    gated = True
    skip_on_404 = True
    schema: ClassVar[dict[str, Any]] = record(
        uri=key_string(),
        organization=string(),
        name=string(),
        status=string(),
        questions=array(
            obj(
                uuid=string(),
                name=string(),
                type=string(),
                required=boolean(),
                answer_choices=array(string()),
            )
        ),
        created_at=datetime_(),
        updated_at=datetime_(),
    )

    def query(self, context: Context | None) -> dict[str, Any]:
        return {"organization": self.sync_context.owner().organization_uri}

    def get_child_context(self, record: Record, context: Context | None) -> Context | None:
        return {"routing_form_uri": record["uri"]}


class RoutingFormSubmissionsStream(LookbackStream, ChildStream):
    """``/routing_form_submissions?form=``, newest first, cut off at the window."""

    name = "routing_form_submissions"
    path = "/routing_form_submissions"
    parent_stream_type = RoutingFormsStream
    parent_key = "routing_form_uri"
    replication_key = "updated_at"
    is_sorted = False
    gated = True
    prefetch_pages = False  # the cut-off decides whether there is a next page
    schema: ClassVar[dict[str, Any]] = record(
        uri=key_string(),
        routing_form=string(),
        questions_and_answers=array(
            obj(question_uuid=string(), question=string(), answer=string())
        ),
        tracking=tracking(),
        result=obj(type=string(), value={}),
        submitter=string(),
        submitter_type=string(),
        created_at=datetime_(),
        updated_at=datetime_(),
    )

    def query(self, context: Context | None) -> dict[str, Any]:
        assert context is not None
        return {"form": context["routing_form_uri"], "sort": "created_at:desc"}

    def stop_paging(self, page: list[Record], context: Context | None) -> bool:
        threshold = self.window_start_for(self.raw_bookmark())
        if threshold is None or not page:
            return False
        oldest = page[-1].get("created_at")
        return bool(oldest) and str(oldest) < format_api_time(threshold)
