"""Where the research index lives in its bucket and who may do what there.

The API and the worker read and write its LanceDB files (adds, deletes of rows, full-text index
builds, compactions: new files, never a deleted one, `store.lance_versions`); the cleanup
function alone deletes the files of old versions, so only its role holds `s3:DeleteObject*`.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

from infra.stacks.foundation import FoundationStack

RESEARCH_INDEX_PREFIX = "index/"
"""Where the research index's LanceDB tables live in the research index bucket."""


def research_index_uri(foundation: FoundationStack) -> str:
    """`STRATIGOS_RESEARCH_INDEX_URI` of the functions that search, index or clean documents."""
    return f"s3://{foundation.research_index_bucket.bucket_name}/{RESEARCH_INDEX_PREFIX[:-1]}"


def grant_research_index(
    grantee: iam.IGrantable, foundation: FoundationStack, *, delete: bool = False
) -> None:
    """Read and write the research index's objects and list the bucket, with the KMS key's
    matching grants; with `delete`, delete them too (the cleanup's old versions)."""
    bucket, keys = foundation.research_index_bucket, f"{RESEARCH_INDEX_PREFIX}*"
    if delete:
        bucket.grant_read_write(grantee, keys)
        return
    bucket.grant_read(grantee, keys)
    bucket.grant_put(grantee, keys)
