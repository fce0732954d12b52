"""Seeded fuzz of search methods: every domain operator x odd values (shared by the module's and the bridges'
tests)."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv.expression import TERM_OPERATORS


def odd_values(rng, count):
    """Search values of every shape a caller can send: the fixed edge cases, then ``count`` random ones."""
    values = [
        None,
        False,
        True,
        0,
        1,
        -1,
        2,
        30,
        30.7,
        -(10**6),
        10**18,
        10**400,
        float("inf"),
        float("nan"),
        "",
        "30",
        "abc",
        "2026-12-04",
        "9999-12-31",
        "\x00",
        [],
        [True],
        [False],
        [True, False],
        [1, 2],
        ["a"],
        [None],
        [[1]],
        {},
        {"a": 1},
        (True,),
    ]
    for _i in range(count):
        kind = rng.randrange(6)
        if kind == 0:
            values.append(rng.randint(-(10**7), 10**7))
        elif kind == 1:
            values.append(rng.uniform(-1e6, 1e6))
        elif kind == 2:
            values.append("".join(rng.choice("0123456789-. aZ%_") for _j in range(rng.randint(0, 12))))
        elif kind == 3:
            values.append([rng.choice([True, False, None, 0, 1, "x", 3.5]) for _j in range(rng.randint(0, 4))])
        elif kind == 4:
            values.append(rng.choice([True, False]))
        else:
            values.append(rng.randint(-40000, 40000))
    return values


def jsonable(value):
    """The value as JSON can carry it (RPC cannot send NaN, infinity or ints beyond 64 bits as numbers)."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def fuzz_search_orm(case, env, fields, values):
    """Search every (model, field) of ``fields`` with every operator and every value in ``env`` (a salesperson's):
    returns ({inputs, answered, refused}, crashes). A refusal is a handled Odoo error with a message; anything
    else is a crash (model, field, operator, value, exception)."""
    counts = {"inputs": 0, "answered": 0, "refused": 0}
    crashes = []
    for model, field in fields:
        for operator in TERM_OPERATORS:
            for value in values:
                counts["inputs"] += 1
                try:
                    with env.cr.savepoint():
                        env[model].search_count([(field, operator, value)])
                    counts["answered"] += 1
                except (UserError, AccessError, ValidationError) as error:
                    case.assertTrue(str(error).strip(), "a refusal without a message")
                    counts["refused"] += 1
                except Exception as error:  # noqa: BLE001 - every other exception is the finding
                    crashes.append((model, field, operator, repr(value)[:60], type(error).__name__, str(error)[:80]))
    return counts, crashes
