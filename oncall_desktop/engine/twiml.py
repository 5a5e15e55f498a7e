"""TwiML for paging calls: read the incident, gather one key (1 acknowledge, 2 resolve, other keys
repeat). Without a public URL Twilio cannot call back with the key, so the call says how to
acknowledge instead.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

GATHER_TIMEOUT_SECONDS = 8
KEYS = "Press 1 to acknowledge. Press 2 to resolve. Press any other key to hear this again."
NO_KEY = "No key was pressed. The incident is not acknowledged, and escalation continues. Goodbye."
NO_PUBLIC_URL = (
    "To acknowledge, open the on-call desktop app, run oncall-desktop ack {id}, "
    "or reply to the text message with its code."
)


def announcement(incident_id: int, severity: str, title: str, rule: str | None) -> str:
    spoken_severity = " ".join(severity)  # "P 1": read as letter and digit
    rule_part = f" for rule {rule}" if rule else ""
    return (
        f"This is the on-call station. Severity {spoken_severity} incident {incident_id}{rule_part}: {title}."
    )


def call(
    incident_id: int, severity: str, title: str, rule: str | None, gather_url: str | None
) -> VoiceResponse:
    """The call's opening: the announcement, then a one-key gather (or, without `gather_url`, how to
    acknowledge elsewhere)."""
    response = VoiceResponse()
    text = announcement(incident_id, severity, title, rule)
    if gather_url is None:
        response.say(f"{text} {NO_PUBLIC_URL.format(id=incident_id)}")
        return response
    gather = response.gather(num_digits=1, action=gather_url, method="POST", timeout=GATHER_TIMEOUT_SECONDS)
    gather.say(f"{text} {KEYS}")
    response.say(NO_KEY)
    return response


def done(message: str) -> VoiceResponse:
    response = VoiceResponse()
    response.say(message)
    response.hangup()
    return response
