"""Service-linked roles: roles a service creates for itself, under
/aws-service-role/<service>/ and named AWSServiceRoleFor<Service>[_<suffix>].

AWS (IAM User Guide, "Using service-linked roles"): only the service's principal
may assume one; its trust policy and permissions cannot be changed by the
account; it is deleted through DeleteServiceLinkedRole, which answers a deletion
task to poll. gatehold deletes at once, so every task it hands out has succeeded.
"""

from __future__ import annotations

import json
import re
import uuid

from gatehold.arn import iam_arn
from gatehold.services.call import Call, Params, Result
from gatehold.services.iam.errors import invalid_input
from gatehold.services.iam.roles import (
    SERVICE_ROLE_PATH,
    is_service_linked,
    new_role,
    remove_role,
    role_for,
    role_shape,
)
from gatehold.store import roles as role_store

# Role names AWS gives well-known services (from their documentation and real
# answers, e.g. "Service role name AWSServiceRoleForAmazonElasticsearchService has
# been taken"), and whether the service accepts a CustomSuffix. Other services get
# a name made from their service principal (autoscaling -> AutoScaling style).
KNOWN_SERVICES: dict[str, tuple[str, bool]] = {
    "autoscaling.amazonaws.com": ("AutoScaling", True),
    "ecs.amazonaws.com": ("ECS", False),
    "es.amazonaws.com": ("AmazonElasticsearchService", False),
    "opensearchservice.amazonaws.com": ("AmazonOpenSearchService", False),
    "spot.amazonaws.com": ("EC2Spot", False),
    "spotfleet.amazonaws.com": ("EC2SpotFleet", False),
    "elasticloadbalancing.amazonaws.com": ("ElasticLoadBalancing", False),
    "rds.amazonaws.com": ("RDS", False),
    "eks.amazonaws.com": ("AmazonEKS", False),
    "eks-nodegroup.amazonaws.com": ("AmazonEKSNodegroup", False),
    "organizations.amazonaws.com": ("Organizations", False),
    "support.amazonaws.com": ("Support", False),
    "trustedadvisor.amazonaws.com": ("TrustedAdvisor", False),
    "guardduty.amazonaws.com": ("AmazonGuardDuty", False),
    "config.amazonaws.com": ("Config", False),
    "cloudtrail.amazonaws.com": ("CloudTrail", False),
    "elasticbeanstalk.amazonaws.com": ("ElasticBeanstalk", True),
    "sso.amazonaws.com": ("SSO", False),
    "ssm.amazonaws.com": ("AmazonSSM", False),
    "access-analyzer.amazonaws.com": ("AccessAnalyzer", False),
    "securityhub.amazonaws.com": ("SecurityHub", False),
    "inspector2.amazonaws.com": ("AmazonInspector2", False),
    "replication.dynamodb.amazonaws.com": ("DynamoDBReplication", False),
}
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com$")
_TASK = re.compile(r"^task/aws-service-role/([a-z0-9.-]+)/([\w+=,.@-]+)/[0-9a-f-]{36}$")


def role_name_for(service: str, suffix: str | None) -> str:
    known = KNOWN_SERVICES.get(service)
    if known is None:
        if not _SERVICE.match(service):
            # Unconfirmed text: AWS's InvalidInput for an unknown service is not quoted
            # in any public source we found.
            raise invalid_input(f"Service name {service} is not eligible for service linked role.")
        label = service.removesuffix(".amazonaws.com")
        known = ("".join(part[:1].upper() + part[1:] for part in re.split(r"[.-]", label)), True)
    base, suffix_allowed = known
    name = f"AWSServiceRoleFor{base}"
    if suffix:
        if not suffix_allowed:
            # terraform-community-modules/tf_aws_elasticsearch#23.
            raise invalid_input(f"Custom suffix is not allowed for {service}")
        name = f"{name}_{suffix}"
    return name


def trust_policy(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def create_service_linked_role(call: Call, params: Params) -> Result:
    account = call.ctx.principal.account_id
    service = params["AWSServiceName"]
    name = role_name_for(service, params.get("CustomSuffix"))
    path = f"{SERVICE_ROLE_PATH}{service}/"
    call.authorize(
        "iam:CreateServiceLinkedRole",
        iam_arn(account, "role", path, name),
        {"iam:AWSServiceName": (service,)},
    )
    if role_store.get_by_name(call.db, account, name) is not None:
        # Rayraegah/terraform-aws-hasura#17 and others quote this InvalidInput (400).
        raise invalid_input(
            f"Service role name {name} has been taken in this account, "
            "please try a different suffix."
        )
    role = new_role(call, name, path, trust_policy(service), params.get("Description"), 3600, None)
    role_store.insert(call.db, role)
    shape = role_shape(call, role)
    shape.pop("RoleLastUsed")
    return {"Role": shape}


def delete_service_linked_role(call: Call, params: Params) -> Result:
    role = role_for(call, "iam:DeleteServiceLinkedRole", params["RoleName"])
    if not is_service_linked(role):
        # Unconfirmed text; AWS answers InvalidInput for a role that is not service-linked.
        raise invalid_input(f"Role {role.role_name} is not a service-linked role.")
    service = role.path[len(SERVICE_ROLE_PATH) :].strip("/")
    remove_role(call, role)
    return {"DeletionTaskId": f"task{SERVICE_ROLE_PATH}{service}/{role.role_name}/{uuid.uuid4()}"}


def get_service_linked_role_deletion_status(call: Call, params: Params) -> Result:
    account = call.ctx.principal.account_id
    task_id = params["DeletionTaskId"]
    match = _TASK.match(task_id)
    role_arn = (
        iam_arn(account, "role", f"{SERVICE_ROLE_PATH}{match.group(1)}/", match.group(2))
        if match
        else iam_arn(account, "role", SERVICE_ROLE_PATH, "*")
    )
    call.authorize("iam:GetServiceLinkedRoleDeletionStatus", role_arn)
    if match is None:
        # Unconfirmed text (the API lists InvalidInput for a malformed task ID).
        raise invalid_input(f"Invalid deletion task id: {task_id}")
    # Deletion happens within DeleteServiceLinkedRole itself.
    return {"Status": "SUCCEEDED"}


HANDLERS = {
    "CreateServiceLinkedRole": create_service_linked_role,
    "DeleteServiceLinkedRole": delete_service_linked_role,
    "GetServiceLinkedRoleDeletionStatus": get_service_linked_role_deletion_status,
}
