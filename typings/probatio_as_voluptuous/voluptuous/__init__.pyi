# Type stub used by mypy on Home Assistant legs that alias voluptuous to
# probatio (2026.9+). At runtime Home Assistant installs probatio's voluptuous
# shim as `voluptuous`; this stub tells mypy the same, so `import voluptuous as
# vol` type-checks against what actually runs. scripts/test puts this directory
# on MYPYPATH only when the leg has probatio installed.
from probatio import (
    ALLOW_EXTRA as ALLOW_EXTRA,
    PREVENT_EXTRA as PREVENT_EXTRA,
    REMOVE_EXTRA as REMOVE_EXTRA,
    All as All,
    Any as Any,
    Boolean as Boolean,
    Coerce as Coerce,
    Datetime as Datetime,
    Email as Email,
    Exclusive as Exclusive,
    Extra as Extra,
    In as In,
    Inclusive as Inclusive,
    Invalid as Invalid,
    Length as Length,
    Lower as Lower,
    Marker as Marker,
    Match as Match,
    Maybe as Maybe,
    MultipleInvalid as MultipleInvalid,
    Optional as Optional,
    Range as Range,
    Remove as Remove,
    Required as Required,
    Schema as Schema,
    Strip as Strip,
    Upper as Upper,
    Url as Url,
)
