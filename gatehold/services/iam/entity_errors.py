"""AWS's error texts for roles, policies and instance profiles.

Sources (real AWS answers quoted in public issue threads) are given per text;
texts we could not confirm say so and name the most credible source found.
"""

from __future__ import annotations

from gatehold.errors import AwsError
from gatehold.services.iam.errors import (
    delete_conflict,
    entity_already_exists,
    no_such_entity,
    unmodifiable_entity,
)


def no_such_role(name: str) -> AwsError:
    # prowler-cloud/prowler#2872: "The role with name ... cannot be found."
    return no_such_entity(f"The role with name {name} cannot be found.")


def no_such_policy(arn: str) -> AwsError:
    # pulumi/pulumi-aws#501: "NoSuchEntity: Policy arn:aws:iam::...:policy/... was not found."
    return no_such_entity(f"Policy {arn} was not found.")


def not_attachable(arn: str) -> AwsError:
    # getmoto/moto#6482 quotes AWS: "Policy arn:... does not exist or is not attachable."
    return no_such_entity(f"Policy {arn} does not exist or is not attachable.")


def no_such_version(arn: str, version_id: str) -> AwsError:
    # Unconfirmed against AWS; moto's text (moto/iam/models.py get_policy_version).
    return no_such_entity(f"Policy {arn} version {version_id} does not exist or is not attachable.")


def no_such_inline_policy(kind: str, name: str) -> AwsError:
    # aws/aws-cli#6139: "The role policy with name ... cannot be found."
    return no_such_entity(f"The {kind} policy with name {name} cannot be found.")


def no_such_instance_profile(name: str) -> AwsError:
    # skyplane-project/skyplane#724: "Instance Profile ... cannot be found."
    return no_such_entity(f"Instance Profile {name} cannot be found.")


def role_exists(name: str) -> AwsError:
    # garnaat/kappa#17: "Role with name lambda_exec_role already exists."
    return entity_already_exists(f"Role with name {name} already exists.")


def policy_exists(name: str) -> AwsError:
    # konstructio/kubefirst#855:
    # "A policy called ... already exists. Duplicate names are not allowed."
    return entity_already_exists(
        f"A policy called {name} already exists. Duplicate names are not allowed."
    )


def instance_profile_exists(name: str) -> AwsError:
    # Unconfirmed against AWS; moto's text.
    return entity_already_exists(f"Instance Profile {name} already exists.")


def protected_role(name: str) -> AwsError:
    # rebuy-de/aws-nuke#441, gruntwork-io/cloud-nuke#880 (UnmodifiableEntity, 400).
    return unmodifiable_entity(
        f"Cannot perform the operation on the protected role '{name}' - "
        "this role is only modifiable by AWS"
    )


def policy_not_attachable(message: str) -> AwsError:
    return AwsError("PolicyNotAttachable", message, 400)


def service_role_policy_not_attachable() -> AwsError:
    # aws/aws-cdk#6131: PolicyNotAttachable, status 400.
    return policy_not_attachable("Cannot attach a Service Role Policy to a Customer Role.")


# DeleteConflict texts.
def must_detach_policies() -> AwsError:
    # boto/boto#2960, cloud-custodian#7484.
    return delete_conflict("Cannot delete entity, must detach all policies first.")


def must_delete_policies() -> AwsError:
    # awslabs/aws-orbit-workbench#633.
    return delete_conflict("Cannot delete entity, must delete policies first.")


def must_remove_from_instance_profiles() -> AwsError:
    return delete_conflict("Cannot delete entity, must remove roles from instance profile first.")


def policy_attached() -> AwsError:
    # hashicorp/terraform-provider-aws#32906.
    return delete_conflict("Cannot delete a policy attached to entities.")


def policy_has_versions() -> AwsError:
    # rebuy-de/aws-nuke#1, ubicloud/ubicloud#6244.
    return delete_conflict(
        "This policy has more than one version. Before you delete a policy, you must delete "
        "the policy's versions. The default version is deleted with the policy."
    )


def default_version_delete() -> AwsError:
    # redradrat/aws-iam-operator#13.
    return delete_conflict("Cannot delete the default version of a policy.")
