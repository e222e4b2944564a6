"""Policy decisions: gsomia's batch path against Cedar (cedarpy) on the same requests.

One million access requests (person × item pairs drawn from pools of people and items) are
decided by Cedar's ``is_authorized_batch`` with a Cedar policy written to match gsomia's
open rules (JK-6.e, JK-7.1, JK-7.2, JK-16.x), and by gsomia's numpy batch path. Every answer
is compared; the ratio of decision rates is printed.

    python bench/policy.py            # 1,000,000 requests
    python bench/policy.py --quick    # 20,000 requests, smoke run
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median_rate, parser, report, timed
from gsomia.agreement_files import load_library
from gsomia.core.rules.batch import AccessBatch, decide_open_batch

TOPICS = ["nk-missile", "nk-nuclear", "naval", "logistics", "cyber", "space"]
FACILITIES = ["hq", "busan", "osan", "ichigaya"]
ROLES = ["official", "translator", "security-officer", "contractor-staff"]
PARTIES = ["JPN", "KOR", "USA"]

CEDAR_POLICY = """
permit(principal, action == Action::"open", resource)
when {
  principal.party == resource.holder &&
  principal.clearance_party == resource.holder &&
  principal.clearance >= resource.level &&
  principal.need_to_know.contains(resource.topic) &&
  principal.registered_at.contains(resource.facility) &&
  (principal.role != "contractor-staff" || context.contractor_cleared) &&
  !resource.destroyed
};
"""


@dataclass
class Pools:
    """People and items as columns; requests pick one of each."""

    party: np.ndarray
    clearance: np.ndarray  # rank, -1 none
    clearance_party: np.ndarray
    need: np.ndarray  # uint64 bitmask
    registered: np.ndarray  # uint64 bitmask over facilities
    role: np.ndarray
    holder: np.ndarray
    level: np.ndarray
    topic: np.ndarray
    facility: np.ndarray
    destroyed: np.ndarray


def _bits(rng: np.random.Generator, n: int, width: int, p: float) -> np.ndarray:
    """Bitmasks with each of ``width`` bits set with probability ``p``."""
    set_ = rng.random((n, width)) < p
    return (set_ * (1 << np.arange(width))).sum(axis=1).astype(np.uint64)


def make_pools(rng: np.random.Generator, people: int, items: int) -> Pools:
    party = rng.integers(0, 3, people)
    return Pools(
        party=party,  # holders below are drawn to match about a third of the time
        clearance=rng.choice([-1, 10, 20, 30], people, p=[0.1, 0.3, 0.4, 0.2]),
        clearance_party=np.where(rng.random(people) < 0.95, party, (party + 1) % 3),
        need=_bits(rng, people, len(TOPICS), 0.6),
        registered=_bits(rng, people, len(FACILITIES), 0.8),
        role=rng.choice(4, people, p=[0.7, 0.1, 0.1, 0.1]),
        holder=rng.choice(3, items, p=[0.4, 0.4, 0.2]),
        level=rng.choice([10, 20, 30], items),
        topic=rng.integers(0, len(TOPICS), items),
        facility=rng.integers(0, len(FACILITIES), items),
        destroyed=rng.random(items) < 0.02,
    )


def gsomia_decide(
    pools: Pools, who: np.ndarray, what: np.ndarray, cleared: np.ndarray, agreement: object
) -> np.ndarray:
    """Gather the columns for the requested pairs and decide them in one batch."""
    p = pools
    batch = AccessBatch(
        agreement_index=np.zeros(who.shape[0], dtype=np.int64),
        person_party=p.party[who],
        item_holder=p.holder[what],
        clearance_rank=p.clearance[who],
        clearance_scheme_is_holder=p.clearance_party[who] == p.holder[what],
        holder_rank=p.level[what],
        need_mask=p.need[who],
        topic_bit=np.left_shift(np.uint64(1), p.topic[what].astype(np.uint64)),
        has_rank=np.zeros(who.shape[0], dtype=bool),
        registered=(p.registered[who] >> p.facility[what].astype(np.uint64)) & np.uint64(1) == 1,
        contractor_staff=p.role[who] == 3,
        contractor_cleared=cleared,
        destroyed=p.destroyed[what],
        agreements=(agreement,),  # type: ignore[arg-type]
    )
    return decide_open_batch(batch).allowed


def cedar_entities(p: Pools) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(p.party.shape[0]):
        out.append(
            {
                "uid": {"type": "Person", "id": f"p{i}"},
                "attrs": {
                    "party": PARTIES[p.party[i]],
                    "clearance": int(p.clearance[i]),
                    "clearance_party": PARTIES[p.clearance_party[i]],
                    "need_to_know": [t for b, t in enumerate(TOPICS) if int(p.need[i]) >> b & 1],
                    "registered_at": [
                        f for b, f in enumerate(FACILITIES) if int(p.registered[i]) >> b & 1
                    ],
                    "role": ROLES[p.role[i]],
                },
                "parents": [],
            }
        )
    for j in range(p.holder.shape[0]):
        out.append(
            {
                "uid": {"type": "Item", "id": f"i{j}"},
                "attrs": {
                    "holder": PARTIES[p.holder[j]],
                    "level": int(p.level[j]),
                    "topic": TOPICS[p.topic[j]],
                    "facility": FACILITIES[p.facility[j]],
                    "destroyed": bool(p.destroyed[j]),
                },
                "parents": [],
            }
        )
    return out


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    import cedarpy

    n = 20_000 if args.quick else 1_000_000
    rng = np.random.default_rng(20161123)
    # Small pools keep Cedar's per-call entity parsing from dominating its time, which is
    # the fairest setting for it; both sides decide the very same request list.
    pools = make_pools(rng, people=60, items=60)
    who = rng.integers(0, 60, n)
    what = rng.integers(0, 60, n)
    cleared = rng.random(n) < 0.5
    agreement = load_library([]).get("jpn-kor-gsomia")

    ours = gsomia_decide(pools, who, what, cleared, agreement)
    rate_ours = median_rate(
        n, lambda: gsomia_decide(pools, who, what, cleared, agreement), args.repeat
    )

    entities = cedar_entities(pools)
    requests = [
        {
            "principal": f'Person::"p{w}"',
            "action": 'Action::"open"',
            "resource": f'Item::"i{x}"',
            "context": {"contractor_cleared": bool(c)},
        }
        for w, x, c in zip(who.tolist(), what.tolist(), cleared.tolist(), strict=True)
    ]
    slices = max(1, args.repeat)
    size = -(-n // slices)
    theirs = np.zeros(n, dtype=bool)
    rates = []
    for k in range(slices):
        chunk = requests[k * size : (k + 1) * size]
        if not chunk:
            continue
        dt, results = timed(
            lambda chunk=chunk: cedarpy.is_authorized_batch(chunk, CEDAR_POLICY, entities)
        )
        rates.append(len(chunk) / dt)
        theirs[k * size : k * size + len(chunk)] = [r.allowed for r in results]
    mismatches = int(np.count_nonzero(ours != theirs))
    allowed = int(np.count_nonzero(ours))
    print(f"requests {n:,}  allowed {allowed:,}  denied {n - allowed:,}  mismatches {mismatches}")
    report(
        "policy",
        rate_ours,
        statistics.median(rates),
        "decisions/s",
        "cedar-batch",
        f"median of {args.repeat}; cedar over {slices} slices of the same requests",
    )
    if mismatches:
        sys.exit("answers differ between gsomia and Cedar")


if __name__ == "__main__":
    main()
