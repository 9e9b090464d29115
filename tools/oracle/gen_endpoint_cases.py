#!/usr/bin/env python3
"""Generate core/tests/data/endpoint_cases.json with botocore as the oracle.

Runs botocore's EndpointProvider (the rule set interpreter boto3 uses) over a
matrix of regions x UseFIPS x UseDualStack x Endpoint, and resolves FIPS
pseudo-regions ("fips-us-east-1", "us-east-1-fips", ...) through real boto3
clients, which rewrite them before the rule set runs.

Usage: .venv/bin/python tools/oracle/gen_endpoint_cases.py [--rule-set PATH] [--out PATH]
"""

import argparse
import gzip
import json
import os
import pathlib
import sys

# Keep the caller's AWS environment and config files out of the boto3 clients.
for _key in [k for k in os.environ if k.startswith("AWS_")]:
    del os.environ[_key]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import boto3  # noqa: E402
import botocore  # noqa: E402
import botocore.config  # noqa: E402
from botocore.endpoint_provider import EndpointProvider  # noqa: E402
from botocore.exceptions import EndpointResolutionError  # noqa: E402
from botocore.loaders import create_loader  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC_RULE_SET = pathlib.Path("/work/shared/spec/model/endpoint-rule-set-1.json")
OUT = ROOT / "core" / "tests" / "data" / "endpoint_cases.json"
BOTOCORE_DATA = pathlib.Path(botocore.__file__).parent / "data"

# Regions that only match a partition's regionRegex, and regions matching none.
REGEX_ONLY = [
    "us-east-9", "eu-west-9", "ap-southeast-9", "il-central-9", "mx-central-9",
    "cn-northwest-9", "us-gov-west-9", "us-iso-west-9", "us-isob-west-9",
    "us-isof-west-9", "eu-isoe-west-9", "eusc-de-east-9",
]
ODD = [
    "", "mars-1", "US-EAST-1", "CN-NORTH-1", "cn-north", "us-east-1a",
    "eusc-fr-east-1", "us-gov-west-1 ", "fips-us-east-1", "us-east-1-fips",
    "ünïcødé-1", "{Region}", "a.b/c?d#e", "cn-north_x-1", "us-iso-ea_st-1",
]
ENDPOINTS = [None, "https://example.com", "http://127.0.0.1:4580"]
# Extra single cases outside the matrix: (region, fips, dualstack, endpoint).
EXTRA = [
    (None, False, False, ""),
    ("us-east-1", False, False, ""),
    ("us-east-1", False, False, "https://example.com/base/path?q=1"),
    (None, True, True, "https://example.com"),
]
FIPS_PSEUDO = [
    # (region_name, use_dualstack_endpoint)
    ("fips-us-east-1", False), ("us-east-1-fips", False),
    ("fips-us-gov-west-1", False), ("us-gov-west-1-fips", False),
    ("fips-us-gov-east-1", False), ("fips-cn-north-1", False),
    ("cn-northwest-1-fips", False), ("fips-us-iso-east-1", False),
    ("us-isob-east-1-fips", False), ("fips-eu-isoe-west-1", False),
    ("fips-eusc-de-east-1", False), ("fips-aws-global", False),
    ("us-fips-east-1", False), ("us-east-fips-1", False),
    ("fips-fips-us-east-1", False), ("fips-us-east-1-fips", False),
    ("us-east-1-fips-fips", False), ("afips-us-east-1", False),
    ("us-east-1-fipsx", False), ("FIPS-us-east-1", False), ("fips", False),
    ("us-east-1", False), ("eu-west-1", False), ("us-gov-west-1", False),
    ("fips-us-east-1", True), ("us-gov-west-1-fips", True),
    ("fips-cn-north-1", True),
    # boto3 rejects these before any endpoint resolution.
    ("fips-", False), ("-fips", False), ("us-east-1-fips-", False), ("", False),
]


def load_rule_set(path):
    if path is None:
        path = SPEC_RULE_SET if SPEC_RULE_SET.exists() else None
    bundled = json.loads(
        gzip.open(next(BOTOCORE_DATA.glob("ivschat/*/endpoint-rule-set-1.json.gz"))).read()
    )
    if path is None:
        return bundled, "botocore/data/ivschat/*/endpoint-rule-set-1.json.gz"
    rules = json.loads(pathlib.Path(path).read_text())
    if rules != bundled:
        print("warning: rule set differs from botocore's bundled ivschat rule set", file=sys.stderr)
        return rules, pathlib.Path(path).name
    return rules, f"{pathlib.Path(path).name} (identical to botocore's bundled ivschat rule set)"


def resolve(provider, region, fips, dualstack, endpoint):
    params = {"UseFIPS": fips, "UseDualStack": dualstack}
    shown = {"useFips": fips, "useDualStack": dualstack}
    if region is not None:
        params["Region"] = shown["region"] = region
    if endpoint is not None:
        params["Endpoint"] = shown["endpoint"] = endpoint
    try:
        expect = {"url": provider.resolve_endpoint(**params).url}
    except EndpointResolutionError as e:
        expect = {"error": str(e)}
    return {"params": shown, "expect": expect}


def boto3_case(region, dualstack):
    cfg = botocore.config.Config(use_dualstack_endpoint=dualstack) if dualstack else None
    case = {"region": region, "useDualStack": dualstack}
    try:
        client = boto3.client(
            "ivschat", region_name=region, config=cfg,
            aws_access_key_id="x", aws_secret_access_key="y",
        )
    except Exception as e:  # InvalidRegionError, ValueError("Invalid endpoint ...")
        case["error"] = f"{type(e).__name__}: {e}"
        return case
    case["expectRegion"] = client.meta.region_name
    case["expectFips"] = bool(client.meta.config.use_fips_endpoint)
    case["expectUrl"] = client.meta.endpoint_url
    return case


def dump(doc):
    """JSON with one case per line, so diffs stay readable."""
    lines = ["{"]
    items = list(doc.items())
    for i, (key, value) in enumerate(items):
        tail = "," if i + 1 < len(items) else ""
        if isinstance(value, list):
            lines.append(f"  {json.dumps(key)}: [")
            for j, item in enumerate(value):
                comma = "," if j + 1 < len(value) else ""
                lines.append("    " + json.dumps(item, ensure_ascii=False) + comma)
            lines.append("  ]" + tail)
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{tail}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rule-set", help=f"rule set JSON (default {SPEC_RULE_SET})")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()

    rules, rules_src = load_rule_set(args.rule_set)
    partitions = create_loader().load_data("partitions")
    provider = EndpointProvider(rules, partitions)

    regions = [r for p in partitions["partitions"] for r in p["regions"]]
    regions += [r for r in REGEX_ONLY + ODD if r not in regions]
    cases = [
        resolve(provider, region, fips, dualstack, endpoint)
        for region in regions + [None]
        for fips in (False, True)
        for dualstack in (False, True)
        for endpoint in ENDPOINTS
    ]
    cases += [resolve(provider, *extra) for extra in EXTRA]
    pseudo = [boto3_case(region, dualstack) for region, dualstack in FIPS_PSEUDO]

    doc = {
        "generator": "tools/oracle/gen_endpoint_cases.py",
        "oracle": f"botocore {botocore.__version__} EndpointProvider, boto3 {boto3.__version__} clients",
        "ruleSet": rules_src,
        "partitions": "botocore/data/partitions.json",
        "cases": cases,
        "fipsPseudoRegions": [c for c in pseudo if "error" not in c],
        "boto3RejectedRegions": [c for c in pseudo if "error" in c],
    }
    pathlib.Path(args.out).write_text(dump(doc), encoding="utf-8")
    print(f"wrote {len(cases)} rule-set cases and {len(doc['fipsPseudoRegions'])} "
          f"pseudo-region cases to {args.out}")


if __name__ == "__main__":
    main()
