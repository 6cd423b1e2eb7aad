"""Objects of the --sandbox organization (seed 7, small, clock 2030-01-07T09:00Z), the same
ones docs/actions.md names. URIs use the production base, as in --sandbox."""

from __future__ import annotations

API = "https://api.calendly.com"
ORG_UUID = "6513270e-269e-4d37-b2a7-4de452e6b438"
ORG = f"{API}/organizations/{ORG_UUID}"
OWNER = f"{API}/users/e8e25d94-0ed9-4475-9531-985d5d9dc9f8"
#: An active event a month after the sandbox's now.
FUTURE_EVENT = "00256fe7-f47d-4709-a200-035173d7074b"
#: An active invitee of a past event, not marked as a no-show.
PAST_EVENT = "0015eb33-57a8-428d-9b93-705c92960aee"
PAST_INVITEE = f"{API}/scheduled_events/{PAST_EVENT}/invitees/1ec93c5c-2367-4728-9ed7-edc2860345c6"
NO_SHOW = "003766d3-0591-4ffb-8264-3d89c69435a7"
EVENT_TYPE_UUID = "02ad9d2b-004b-4fd0-99df-209bca5d5e7d"
EVENT_TYPE = f"{API}/event_types/{EVENT_TYPE_UUID}"
#: A plain member (role user).
MEMBERSHIP = "10a3d6b2-aa05-411a-b271-5945795e8229"
MEMBER_EMAIL = "mei.silva@acme.example.com"
PENDING_INVITATION = "42594052-78e4-498d-8787-f93bca44eb86"
GROUP = "31dec4f4-df2a-4b79-bc8e-80b36f0e2289"
ROUTING_FORM_UUID = "00ab68b8-0dec-43b5-85b4-c4250bab5f9f"
ROUTING_FORM = f"{API}/routing_forms/{ROUTING_FORM_UUID}"
SUBMISSION = "001ab7a3-f381-4a9c-b731-e7552ab4bef1"
SCHEDULE = "974d6579-9157-4b07-8768-3b84e6b77daa"  # the owner's
ORG_WEBHOOK = "932e29a9-8cd0-4bf3-98b8-6971e00d4275"
HOOKS_PREFIX = "https://hooks.example.com/calendly/"
