"""Reading the whole §6 document into a Configuration, then checking it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Literal, TypeVar

from oncall_desktop import planning_config, timeutil
from oncall_desktop.domain import (
    ALL_SEVERITIES,
    COMBINE_MODES,
    DEFAULT_RULE_ID,
    DEFAULT_RULE_NAME,
    INTEGRATION_KINDS,
    MIN_TOKEN_LENGTH,
    ROTATION_PERIODS,
    WEEKDAYS,
    Channel,
    Combine,
    Configuration,
    EscalationLevel,
    Integration,
    IntegrationKind,
    Layer,
    MatchConditions,
    OnCallRule,
    Override,
    Person,
    Rotation,
    RotationPeriod,
    Settings,
    Severity,
    SmtpSettings,
    StationSettings,
    Status,
    Target,
    Team,
    TwilioSettings,
    Window,
)
from oncall_desktop.reach_validation import read_chat, read_heartbeat, read_maintenance
from oncall_desktop.validation.checks import MAX_WAIT_MINUTES, SMTP_SECURITIES, Checker
from oncall_desktop.validation.problems import Paths, Problem, has_errors, short
from oncall_desktop.validation.reader import Reader, UnreadableError

T = TypeVar("T")

_DEFAULT_LISTEN = StationSettings().listen
_NO_BOUNDS: tuple[datetime | None, datetime | None] = (None, None)
_DEFAULT_SMTP_PORT = SmtpSettings().port
_DEFAULT_SMTP_SECURITY = SmtpSettings().security
DEFAULT_RULE_KEYS = ("id", "personnel", "rotation", "combine", "layers", "escalation")
DEFAULT_RULE_FIXED = ("name", "timezone", "effective", "windows", "match")


_PERSON_KEYS = (
    "id",
    "name",
    "email",
    "phone",
    "oncall_email",
    "oncall_phone",
    "timezone",
    "colour",
    "chat",
    "holidays",
)
_TEAM_KEYS = ("id", "name", "members")
_RULE_KEYS = (
    "id",
    "name",
    "timezone",
    "effective",
    "windows",
    "match",
    "personnel",
    "rotation",
    "combine",
    "layers",
    "escalation",
    "reminders",
)
_LAYER_KEYS = ("name", "timezone", "effective", "windows", "personnel", "rotation")
_LEVEL_KEYS = ("level", "wait", "severities", "statuses", "repeat", "channels", "add")
_OVERRIDE_KEYS = ("rule", "person", "start", "end")
_INTEGRATION_KEYS = ("id", "name", "kind", "severity_mapping", "token", "heartbeat")
_TOP_KEYS = (
    "version",
    "people",
    "teams",
    "rules",
    "overrides",
    "integrations",
    "settings",
    "maintenance",
    "time_off",
)


class DocumentReader(Reader):
    """Reads the whole §6 document; remembers each object's file path for the semantic checks."""

    def __init__(self) -> None:
        super().__init__()
        self.people_paths: list[str] = []
        self.team_paths: list[str] = []
        self.override_paths: list[str] = []
        self.integration_paths: list[str] = []

    def document(self, doc: object) -> tuple[Configuration, Paths]:
        if not isinstance(doc, dict):
            raise self.error("<document>", "the file must be a YAML mapping starting with version: 1")
        top = self.mapping(doc, "<document>", _TOP_KEYS)
        version = top.get("version")
        if "version" not in top:
            self.error("version", "is required: write version: 1 at the top")
        elif version != 1 or isinstance(version, bool):
            self.error(
                "version", f"unsupported version {short(version)}: this oncall-desktop reads version 1"
            )
        people = self._list(top, "people", self._person, self.people_paths)
        teams = self._list(top, "teams", self._team, self.team_paths)
        rules, rule_paths, layered = self._rules(top.get("rules"))
        overrides_raw = self._list(top, "overrides", self._override_raw, self.override_paths)
        zones = {r.id: r.timezone for r in rules}
        overrides = [self._override(raw, zones) for raw in overrides_raw]
        integrations = self._list(top, "integrations", self._integration, self.integration_paths)
        settings = self.kept(lambda: self._settings(top.get("settings")), Settings())
        maintenance_paths: list[str] = []
        maintenance = read_maintenance(self, top.get("maintenance"), maintenance_paths)
        time_off, time_off_paths = planning_config.read_time_off(self, top.get("time_off"), people)
        config = Configuration(
            people=tuple(people),
            teams=tuple(teams),
            rules=tuple(rules),
            overrides=tuple(o for o in overrides if o is not None),
            integrations=tuple(integrations),
            settings=settings,
            maintenance=maintenance,
            time_off=tuple(time_off),
        )
        paths = Paths(
            people=self.people_paths,
            teams=self.team_paths,
            rules=rule_paths,
            layered=layered,
            overrides=[p for p, o in zip(self.override_paths, overrides, strict=True) if o is not None],
            integrations=self.integration_paths,
            maintenance=maintenance_paths,
            time_off=time_off_paths,
        )
        return config, paths

    def _list(
        self, top: dict[str, object], key: str, read: Callable[[object, str], T], paths: list[str]
    ) -> list[T]:
        items: list[object] = self.kept(lambda: self.sequence(top.get(key), key), [])
        result: list[T] = []
        for i, item in enumerate(items):
            try:
                result.append(read(item, f"{key}[{i}]"))
            except UnreadableError:
                continue
            paths.append(f"{key}[{i}]")
        return result

    def _id(self, raw: dict[str, object], path: str) -> str:
        if "id" not in raw:
            raise UnreadableError()
        return self.string(raw["id"], f"{path}.id")

    def _person(self, value: object, path: str) -> Person:
        raw = self.mapping(value, path, _PERSON_KEYS, ("id", "name"))
        ident = self._id(raw, path)

        def text(key: str) -> str | None:
            return self.kept(lambda: self.optional_string(raw.get(key), f"{path}.{key}"), None)

        def phone(key: str) -> str | None:
            return self.kept(lambda: self.phone(raw.get(key), f"{path}.{key}"), None)

        return Person(
            id=ident,
            name=text("name") or "",
            email=text("email"),
            phone=phone("phone"),
            oncall_email=text("oncall_email"),
            oncall_phone=phone("oncall_phone"),
            timezone=text("timezone"),
            colour=text("colour"),
            chat=self.kept(lambda: read_chat(self, raw.get("chat"), f"{path}.chat"), False),
            holidays=text("holidays"),
        )

    def _team(self, value: object, path: str) -> Team:
        raw = self.mapping(value, path, _TEAM_KEYS, ("id", "name"))
        ident = self._id(raw, path)
        name = self.kept(lambda: self.string(raw.get("name", ""), f"{path}.name"), "")
        members: tuple[str, ...] = self.kept(lambda: self._ids(raw.get("members"), f"{path}.members"), ())
        return Team(id=ident, name=name, members=members)

    def _ids(self, value: object, path: str) -> tuple[str, ...]:
        items = self.sequence(value, path)
        return tuple(self.each(items, path, self.string))

    def _rules(self, value: object) -> tuple[list[OnCallRule], list[str | None], list[bool]]:
        """The rules, the default one last; their paths; and whether each is written with layers."""
        items: list[object] = self.kept(lambda: self.sequence(value, "rules"), [])
        custom: list[tuple[OnCallRule, str, bool]] = []
        default: tuple[OnCallRule, str, bool] | None = None
        for i, item in enumerate(items):
            path = f"rules[{i}]"
            try:
                is_default = isinstance(item, dict) and item.get("id") == DEFAULT_RULE_ID
                rule = self._default_rule(item, path) if is_default else self._rule(item, path)
            except UnreadableError:
                continue
            read = (rule, path, isinstance(item, dict) and "layers" in item)
            if is_default and default is None:
                default = read
            else:
                custom.append(read)
        if default is None:
            empty = OnCallRule(
                id=DEFAULT_RULE_ID, name=DEFAULT_RULE_NAME, timezone=timeutil.system_zone_name()
            )
            custom.append((empty, "", False))
            paths: list[str | None] = [p for _, p, _ in custom[:-1]] + [None]
        else:
            custom.append(default)
            paths = [p for _, p, _ in custom]
        return [r for r, _, _ in custom], paths, [layered for _, _, layered in custom]

    def _default_rule(self, value: object, path: str) -> OnCallRule:
        assert isinstance(value, dict)
        for key in DEFAULT_RULE_FIXED:
            if key in value:
                why = " (it is the system's)" if key == "timezone" else ""
                self.error(f"{path}.{key}", f"the default rule's {key} is not editable{why}")
        trimmed = {k: v for k, v in value.items() if k not in DEFAULT_RULE_FIXED}
        raw = self.mapping(trimmed, path, DEFAULT_RULE_KEYS)
        layers, combine, escalation = self._staffing(raw, path)
        return OnCallRule(
            id=DEFAULT_RULE_ID,
            name=DEFAULT_RULE_NAME,
            timezone=timeutil.system_zone_name(),
            layers=layers,
            combine=combine,
            escalation=escalation,
        )

    def _rule(self, value: object, path: str) -> OnCallRule:
        raw = self.mapping(value, path, _RULE_KEYS, ("id", "name", "timezone"))
        ident = self._id(raw, path)
        name = self.kept(lambda: self.string(raw.get("name", ""), f"{path}.name"), "")
        tz = self.kept(lambda: self.string(raw.get("timezone", "UTC"), f"{path}.timezone"), "UTC")
        bounds: tuple[datetime | None, datetime | None] = self.kept(
            lambda: self._effective(raw.get("effective"), f"{path}.effective"), _NO_BOUNDS
        )
        start, end = bounds
        windows: tuple[Window, ...] = self.kept(
            lambda: self._windows(raw.get("windows"), f"{path}.windows"), ()
        )
        match = self.kept(lambda: self.match_conditions(raw.get("match"), f"{path}.match"), MatchConditions())
        layers, combine, escalation = self._staffing(raw, path)
        reminders = self.kept(
            lambda: planning_config.read_reminders(self, raw.get("reminders"), f"{path}.reminders"), None
        )
        return OnCallRule(
            id=ident,
            name=name,
            timezone=tz,
            effective_start=start,
            effective_end=end,
            windows=windows,
            match=match,
            layers=layers,
            combine=combine,
            escalation=escalation,
            reminders=reminders,
        )

    def _staffing(
        self, raw: dict[str, object], path: str
    ) -> tuple[tuple[Layer, ...], Combine, tuple[EscalationLevel, ...]]:
        """The rule's layers (v1's top-level personnel and rotation are one layer) and its ladder."""
        escalation: tuple[EscalationLevel, ...] = self.kept(
            lambda: self._ladder(raw.get("escalation"), f"{path}.escalation"), ()
        )
        if "layers" not in raw:
            if "combine" in raw:
                self.error(
                    f"{path}.combine", "combine applies to layers: list the rule's layers under layers"
                )
            return (self._plain_layer(raw, path),), "first", escalation
        for key in ("personnel", "rotation"):
            if key in raw:
                self.error(f"{path}.{key}", f"a rule with layers lists its {key} in each layer")
        combine = self.kept(
            lambda: self.choice(
                raw.get("combine", "first"), f"{path}.combine", COMBINE_MODES, "combine mode"
            ),
            "first",
        )
        lpath = f"{path}.layers"
        # A layer that cannot be read would shift every later index: then the rule is not kept.
        items = self.sequence(raw["layers"], lpath)
        layers = tuple(self._layer(item, f"{lpath}[{j}]") for j, item in enumerate(items))
        return layers, _combine(combine), escalation

    def _plain_layer(self, raw: dict[str, object], path: str) -> Layer:
        """A layer's personnel and rotation (all a v1 rule's short form says about its one layer)."""
        return Layer(
            personnel=self.kept(lambda: self._ids(raw.get("personnel"), f"{path}.personnel"), ()),
            rotation=self.kept(lambda: self._rotation(raw.get("rotation"), f"{path}.rotation"), None),
        )

    def _layer(self, value: object, path: str) -> Layer:
        raw = self.mapping(value, path, _LAYER_KEYS, ("name",))
        bounds: tuple[datetime | None, datetime | None] = self.kept(
            lambda: self._effective(raw.get("effective"), f"{path}.effective"), _NO_BOUNDS
        )
        return replace(
            self._plain_layer(raw, path),
            name=self.kept(lambda: self.string(raw.get("name", ""), f"{path}.name"), ""),
            timezone=self.kept(lambda: self.optional_string(raw.get("timezone"), f"{path}.timezone"), None),
            windows=self.kept(lambda: self._windows(raw.get("windows"), f"{path}.windows"), ()),
            effective_start=bounds[0],
            effective_end=bounds[1],
        )

    def _effective(self, value: object, path: str) -> tuple[datetime | None, datetime | None]:
        if value is None:
            return None, None
        raw = self.mapping(value, path, ("start", "end"))
        start = None if raw.get("start") is None else self.moment(raw["start"], f"{path}.start")
        end = None if raw.get("end") is None else self.moment(raw["end"], f"{path}.end")
        return start, end

    def _windows(self, value: object, path: str) -> tuple[Window, ...]:
        return tuple(self.each(self.sequence(value, path), path, self._window))

    def _window(self, value: object, path: str) -> Window:
        raw = self.mapping(value, path, ("days", "start", "end"), ("days", "start", "end"))
        days_raw = self.sequence(raw.get("days"), f"{path}.days")
        days = tuple(WEEKDAYS.index(self.choice(d, f"{path}.days", WEEKDAYS, "weekday")) for d in days_raw)
        return Window(
            days=days,
            start=self.hhmm(raw.get("start"), f"{path}.start"),
            end=self.hhmm(raw.get("end"), f"{path}.end"),
        )

    def match_conditions(self, value: object, path: str) -> MatchConditions:
        if value is None:
            return MatchConditions()
        raw = self.mapping(value, path, ("mode", "conditions"))
        mode = self.choice(raw.get("mode", "all"), f"{path}.mode", ("all", "any"), "mode")
        conditions = self._ids(raw.get("conditions"), f"{path}.conditions")
        return MatchConditions(mode="all" if mode == "all" else "any", conditions=conditions)

    def _rotation(self, value: object, path: str) -> Rotation | None:
        if value is None:
            return None
        raw = self.mapping(
            value, path, ("period", "every", "handoff", "anchor"), ("period", "handoff", "anchor")
        )
        period = self.choice(raw.get("period"), f"{path}.period", ROTATION_PERIODS, "rotation period")
        every_raw = raw.get("every", 1)
        if isinstance(every_raw, bool) or not isinstance(every_raw, int):
            raise self.error(f"{path}.every", f"must be a whole number, not {short(every_raw)}")
        return Rotation(
            period=_rotation_period(period),
            every=every_raw,
            handoff=self.hhmm(raw.get("handoff"), f"{path}.handoff"),
            anchor=self.day(raw.get("anchor"), f"{path}.anchor"),
        )

    def _ladder(self, value: object, path: str) -> tuple[EscalationLevel, ...]:
        items = self.sequence(value, path)
        levels: list[EscalationLevel] = []
        failed = False
        for i, item in enumerate(items):
            below = levels[-1] if levels else None
            try:
                levels.append(self._level(item, f"{path}[{i}]", i, below))
            except UnreadableError:
                failed = True
        if failed:
            # A level that cannot be read would shift every later index; the ladder is reported, not kept.
            raise UnreadableError()
        return tuple(levels)

    def _level(self, value: object, path: str, index: int, below: EscalationLevel | None) -> EscalationLevel:
        before = len(self.problems)
        raw = self.mapping(value, path, _LEVEL_KEYS)
        if "level" in raw:
            number = raw["level"]
            if isinstance(number, bool) or not isinstance(number, int):
                self.error(f"{path}.level", f"must be a whole number, not {short(number)}")
            elif number != index:
                self.error(
                    f"{path}.level", f"is {number} but this is level {index}, its position in the list"
                )
        wait = 0
        if "wait" in raw:
            wait = self.kept(lambda: self.minutes(raw["wait"], f"{path}.wait"), 0)
        elif index > 0:
            self.error(
                f"{path}.wait", f"is required: minutes after the incident starts, 1–{MAX_WAIT_MINUTES}"
            )
        severities = below.severities if below else ALL_SEVERITIES
        if "severities" in raw:
            severities = self.kept(
                lambda: self._severities(raw["severities"], f"{path}.severities"), severities
            )
        statuses = below.statuses if below else frozenset({Status.OPEN})
        if "statuses" in raw:
            statuses = self.kept(lambda: self._statuses(raw["statuses"], f"{path}.statuses"), statuses)
        repeat_raw = raw.get("repeat")
        repeat = (
            None
            if repeat_raw is None
            else self.kept(lambda: self.minutes(repeat_raw, f"{path}.repeat"), None)
        )
        channels: dict[str, tuple[Channel, ...]] = {}
        if "channels" in raw:
            channels = self.kept(lambda: self._level_channels(raw["channels"], f"{path}.channels"), {})
        add: tuple[Target, ...] = ()
        if "add" in raw:
            add = self.kept(
                lambda: tuple(
                    self.each(self.sequence(raw["add"], f"{path}.add"), f"{path}.add", self._target)
                ),
                (),
            )
        if len(self.problems) > before:
            raise UnreadableError()
        return EscalationLevel(
            wait=wait, severities=severities, statuses=statuses, repeat=repeat, channels=channels, add=add
        )

    def _severities(self, value: object, path: str) -> frozenset[Severity]:
        items = self.sequence(value, path)
        return frozenset(
            Severity(self.choice(s, path, [v.value for v in Severity], "severity")) for s in items
        )

    def _statuses(self, value: object, path: str) -> frozenset[Status]:
        items = self.sequence(value, path)
        return frozenset(Status(self.choice(s, path, [v.value for v in Status], "status")) for s in items)

    def _level_channels(self, value: object, path: str) -> dict[str, tuple[Channel, ...]]:
        if isinstance(value, dict):
            result: dict[str, tuple[Channel, ...]] = {}
            for key, item in value.items():
                person = self.string(key, path)
                result[person] = self.channels(item, f"{path}.{person}")
            return result
        listed = self.channels(value, path)
        return {"*": listed} if listed else {}

    def _target(self, value: object, path: str) -> Target:
        raw = self.mapping(value, path, ("target", "channels"), ("target", "channels"))
        return Target(
            target=self.string(raw.get("target"), f"{path}.target"),
            channels=self.channels(raw.get("channels"), f"{path}.channels"),
        )

    def _override_raw(self, value: object, path: str) -> tuple[str, str, str, datetime, datetime]:
        raw = self.mapping(value, path, _OVERRIDE_KEYS, _OVERRIDE_KEYS)
        rule = self.string(raw.get("rule"), f"{path}.rule")
        person = self.string(raw.get("person"), f"{path}.person")
        start = self.moment(raw.get("start"), f"{path}.start")
        end = self.moment(raw.get("end"), f"{path}.end")
        return path, rule, person, start, end

    def _override(
        self, raw: tuple[str, str, str, datetime, datetime], zones: Mapping[str, str]
    ) -> Override | None:
        """Resolves wall-clock bounds in the rule's zone (an unknown rule is reported by the checks)."""
        _path, rule, person, start, end = raw
        name = zones.get(rule, "UTC")
        tz = timeutil.zone(name) if timeutil.is_zone(name) else timeutil.zone("UTC")
        return Override(
            rule=rule, person=person, start=timeutil.to_instant(start, tz), end=timeutil.to_instant(end, tz)
        )

    def _integration(self, value: object, path: str) -> Integration:
        raw = self.mapping(value, path, _INTEGRATION_KEYS, ("id", "name", "kind"), secrets="NAME")
        ident = self._id(raw, path)
        name = self.kept(lambda: self.string(raw.get("name", ""), f"{path}.name"), "")
        kind = self.choice(raw.get("kind"), f"{path}.kind", INTEGRATION_KINDS, "integration kind")
        mapping: dict[str, Severity] = self.kept(
            lambda: self._severity_mapping(raw.get("severity_mapping"), f"{path}.severity_mapping"), {}
        )
        token = self.kept(lambda: self._token(raw.get("token"), f"{path}.token"), None)
        heartbeat = self.kept(lambda: read_heartbeat(self, raw.get("heartbeat"), f"{path}.heartbeat"), None)
        return Integration(
            id=ident,
            name=name,
            kind=_integration_kind(kind),
            token=token,
            severity_mapping=mapping,
            heartbeat_timeout=heartbeat,
        )

    def _token(self, value: object, path: str) -> str | None:
        """SPEC §11: a migrated integration keeps its source's token (only migration writes one)."""
        token = self.optional_string(value, path)
        if token is not None and len(token) < MIN_TOKEN_LENGTH:
            raise self.error(path, f"a token needs at least {MIN_TOKEN_LENGTH} characters")
        return token

    def _severity_mapping(self, value: object, path: str) -> dict[str, Severity]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(path, "must be a mapping from severity label to P0–P4")
        result: dict[str, Severity] = {}
        for key, item in value.items():
            label = self.string(key, path)
            result[label] = Severity(
                self.choice(item, f"{path}.{label}", [v.value for v in Severity], "severity")
            )
        return result

    def _settings(self, value: object) -> Settings:
        if value is None:
            return Settings()
        raw = self.mapping(value, "settings", ("station", "twilio", "smtp"), secrets="NAME")
        return Settings(
            station=self.kept(lambda: self._station(raw.get("station")), StationSettings()),
            twilio=self.kept(lambda: self._twilio(raw.get("twilio")), TwilioSettings()),
            smtp=self.kept(lambda: self._smtp(raw.get("smtp")), SmtpSettings()),
        )

    def _station(self, value: object) -> StationSettings:
        if value is None:
            return StationSettings()
        path = "settings.station"
        raw = self.mapping(value, path, ("listen", "public_url", "lease_seconds"), secrets="NAME")
        lease = raw.get("lease_seconds", StationSettings().lease_seconds)
        if isinstance(lease, bool) or not isinstance(lease, int):
            raise self.error(f"{path}.lease_seconds", f"must be whole seconds, not {short(lease)}")
        return StationSettings(
            listen=self.string(raw.get("listen", _DEFAULT_LISTEN), f"{path}.listen"),
            public_url=self.optional_string(raw.get("public_url"), f"{path}.public_url"),
            lease_seconds=lease,
        )

    def _twilio(self, value: object) -> TwilioSettings:
        if value is None:
            return TwilioSettings()
        path = "settings.twilio"
        raw = self.mapping(
            value, path, ("account_sid", "from_number", "api_base_url"), secrets="twilio.auth_token"
        )
        return TwilioSettings(
            account_sid=self.optional_string(raw.get("account_sid"), f"{path}.account_sid"),
            from_number=self.phone(raw.get("from_number"), f"{path}.from_number"),
            api_base_url=self.optional_string(raw.get("api_base_url"), f"{path}.api_base_url"),
        )

    def _smtp(self, value: object) -> SmtpSettings:
        if value is None:
            return SmtpSettings()
        path = "settings.smtp"
        raw = self.mapping(
            value, path, ("host", "port", "security", "username", "sender"), secrets="smtp.password"
        )
        port = raw.get("port", _DEFAULT_SMTP_PORT)
        if isinstance(port, bool) or not isinstance(port, int):
            raise self.error(f"{path}.port", f"must be a port number, not {short(port)}")
        security = self.choice(
            raw.get("security", _DEFAULT_SMTP_SECURITY), f"{path}.security", SMTP_SECURITIES, "security"
        )
        return SmtpSettings(
            host=self.optional_string(raw.get("host"), f"{path}.host"),
            port=port,
            security=_smtp_security(security),
            username=self.optional_string(raw.get("username"), f"{path}.username"),
            sender=self.optional_string(raw.get("sender"), f"{path}.sender"),
        )


def _rotation_period(value: str) -> RotationPeriod:
    for period in ROTATION_PERIODS:
        if period == value:
            return period
    raise ValueError(value)


def _combine(value: str) -> Combine:
    return "all" if value == "all" else "first"


def _integration_kind(value: str) -> IntegrationKind:
    for kind in INTEGRATION_KINDS:
        if kind == value:
            return kind
    raise ValueError(value)


def _smtp_security(value: str) -> Literal["tls", "starttls", "none"]:
    if value == "tls":
        return "tls"
    if value == "none":
        return "none"
    return "starttls"


def _related(path: str, reported: Sequence[str]) -> bool:
    """Whether a semantic finding at `path` is a consequence of a shape error already reported."""
    for other in reported:
        for a, b in ((path, other), (other, path)):
            if a == b or b.startswith((a + ".", a + "[")):
                return True
    return False


def validate_document(doc: object) -> tuple[Configuration | None, list[Problem]]:
    """From what `yaml.safe_load` returned to a Configuration (None if there is any error) and problems.

    Shape and type problems are found while reading; then `validate_configuration`'s checks run on
    what could be read, leaving out findings at paths where reading already failed.
    """
    reader = DocumentReader()
    try:
        config, paths = reader.document(doc)
    except UnreadableError:
        return None, reader.problems
    shape = reader.problems
    reported = [p.path for p in shape]
    semantic = [p for p in Checker(config, paths).run() if not _related(p.path, reported)]
    problems = shape + semantic
    return (None if has_errors(problems) else config), problems
