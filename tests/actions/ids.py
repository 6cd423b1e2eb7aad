"""Objects of the --sandbox organization (seed 7, small, clock 2030-01-07T09:00Z), the same
ones docs/actions.md names. URIs use the production base, as in --sandbox."""

from __future__ import annotations

API = "https://api.calendly.com"
ORG_UUID = "6513270e-269e-4d37-b2a7-4de452e6b438"
ORG = f"{API}/organizations/{ORG_UUID}"
OWNER = f"{API}/users/e8e25d94-0ed9-4475-9531-985d5d9dc9f8"
#: An active event two months after the sandbox's now.
FUTURE_EVENT = "0219a6d3-6182-4e9c-b11c-8c8a27ac383d"
#: An active invitee of a past event, not marked as a no-show.
PAST_EVENT = "00048b2f-f981-4e3b-ba3a-a72ea6d50d85"
PAST_INVITEE = f"{API}/scheduled_events/{PAST_EVENT}/invitees/11d6937e-0877-464f-a041-448d3099e573"
NO_SHOW = "00475134-5f4d-4fc5-841d-2589d1fd2874"
EVENT_TYPE_UUID = "02ad9d2b-004b-4fd0-99df-209bca5d5e7d"
EVENT_TYPE = f"{API}/event_types/{EVENT_TYPE_UUID}"
#: A plain member (role user).
MEMBERSHIP = "10a3d6b2-aa05-411a-b271-5945795e8229"
MEMBER_EMAIL = "mei.silva@acme.example.com"
PENDING_INVITATION = "0726e25c-fd56-4926-876b-3e36bb2313f5"
GROUP = "796f74ad-faf5-4496-988a-f3fbd39630d6"
ROUTING_FORM_UUID = "0d72cb97-b630-4005-8367-8856d867c466"
ROUTING_FORM = f"{API}/routing_forms/{ROUTING_FORM_UUID}"
SUBMISSION = "04a497a9-7d35-4997-a561-606316bc3672"
SCHEDULE = "84766269-5add-492b-b070-8b637cb9a6a4"  # the owner's
ORG_WEBHOOK = "2ffcd100-6b84-4493-a89e-c1325944b51f"
HOOKS_PREFIX = "https://hooks.example.com/calendly/"
