"""AWS errors of identity providers, keys, certificates, service credentials and
the credential report.

Codes and HTTP statuses are botocore's (the IAM model's error shapes). Message
texts: where a real AWS answer was found (recorded AWS responses in LocalStack's
snapshot tests, AWS answers quoted in public bug reports) it is used verbatim;
otherwise the text is the model's own description of the error, marked
"unconfirmed".
"""

from __future__ import annotations

from gatehold.errors import AwsError
from gatehold.services.iam.errors import entity_already_exists, invalid_input, no_such_entity

# --- identity providers -------------------------------------------------------------


def oidc_not_found(arn: str) -> AwsError:
    # Recorded AWS answer to GetOpenIDConnectProvider (LocalStack snapshot, 2026-02).
    return no_such_entity(f"OpenIDConnect Provider not found for arn {arn}")


def oidc_not_found_on_delete(arn: str) -> AwsError:
    # Recorded AWS answer to DeleteOpenIDConnectProvider (LocalStack snapshot, 2026-02).
    return no_such_entity(f"OpenId connect Provider {arn} cannot be found.")


def oidc_exists(url: str) -> AwsError:
    # AWS, quoted in terraform issues: "Provider with url https://... already exists."
    return entity_already_exists(f"Provider with url {url} already exists.")


def saml_not_found(arn: str) -> AwsError:
    # Recorded AWS answer to Get/DeleteSAMLProvider (LocalStack snapshot, 2026-02).
    return no_such_entity(f"Manifest not found for arn {arn}")


def saml_exists(name: str) -> AwsError:
    # AWS, as quoted through org-formation issue #59: "Provider with name X already exists."
    return entity_already_exists(f"Provider with name {name} already exists.")


def bad_saml_metadata() -> AwsError:
    # Unconfirmed: the text AWS is commonly reported to send for a metadata
    # document it cannot use.
    return invalid_input("Could not parse metadata")


# --- SSH public keys ------------------------------------------------------------------


def ssh_key_not_found(key_id: str) -> AwsError:
    # Recorded AWS answer (LocalStack snapshot, 2026-02).
    return no_such_entity(f"The Public Key with id {key_id} cannot be found.")


def duplicate_ssh_key() -> AwsError:
    # Unconfirmed: the model's description.
    return AwsError(
        "DuplicateSSHPublicKey",
        "The SSH public key is already associated with the specified IAM user.",
        400,
    )


def invalid_public_key(detail: str) -> AwsError:
    # Unconfirmed: the model's description, with what was wrong.
    return AwsError(
        "InvalidPublicKey", f"The public key is malformed or otherwise invalid: {detail}", 400
    )


def unrecognized_public_key() -> AwsError:
    # Unconfirmed: the model's description.
    return AwsError(
        "UnrecognizedPublicKeyEncoding",
        "The public key encoding format is unsupported or unrecognized.",
        400,
    )


# --- signing and server certificates ----------------------------------------------------


def signing_certificate_not_found(certificate_id: str) -> AwsError:
    # Recorded AWS answer (LocalStack snapshot, 2026-02).
    return no_such_entity(f"The Certificate with id {certificate_id} cannot be found.")


def malformed_signing_certificate(body: str) -> AwsError:
    # Recorded AWS answer: AWS echoes the body it could not parse (LocalStack snapshot).
    return AwsError("MalformedCertificate", f"Certificate {body} is malformed.", 400)


def duplicate_certificate() -> AwsError:
    # Unconfirmed: the model's description.
    return AwsError(
        "DuplicateCertificate",
        "The same certificate is associated with an IAM user in the account.",
        409,
    )


def server_certificate_not_found(name: str) -> AwsError:
    # Recorded AWS answer (LocalStack snapshot, 2026-02).
    return no_such_entity(f"The Server Certificate with name {name} cannot be found.")


def server_certificate_exists(name: str) -> AwsError:
    # Recorded AWS answer (LocalStack snapshot, 2026-02).
    return entity_already_exists(f"The Server Certificate with name {name} already exists.")


def unparsable_server_certificate() -> AwsError:
    # AWS's answer, quoted in openshift-ansible#11214 and terraforming-aws#46.
    return AwsError(
        "MalformedCertificate",
        "Unable to parse certificate. Please ensure the certificate is in PEM format.",
        400,
    )


def unparsable_private_key() -> AwsError:
    # Unconfirmed.
    return AwsError("MalformedCertificate", "Unable to parse private key.", 400)


def invalid_chain(index: int) -> AwsError:
    # AWS's answer, quoted in aws-cli#715 and go-acme/lego#304.
    return AwsError(
        "MalformedCertificate",
        "Unable to validate certificate chain. The certificate chain must start with the "
        "immediate signing certificate, followed by any intermediaries in order. The index "
        f"within the chain of the invalid certificate is: {index}",
        400,
    )


def key_pair_mismatch() -> AwsError:
    # Unconfirmed: the model's description.
    return AwsError(
        "KeyPairMismatch", "The public key certificate and the private key do not match.", 400
    )


# --- service-specific credentials -------------------------------------------------------


def service_credential_not_found(credential_id: str) -> AwsError:
    # Unconfirmed: follows the pattern of AWS's recorded texts for SSH keys and
    # signing certificates ("The Public Key with id X cannot be found.").
    return no_such_entity(
        f"The Service Specific Credential with id {credential_id} cannot be found."
    )


def service_not_supported(service: str) -> AwsError:
    # Unconfirmed: the model's description, naming the service.
    return AwsError(
        "NotSupportedService",
        f"The specified service does not support service-specific credentials: {service}",
        404,
    )


# --- credential report ---------------------------------------------------------------------


def report_not_present() -> AwsError:
    # Recorded AWS answer: code and 410 with no message at all (LocalStack snapshot).
    return AwsError("ReportNotPresent", "", 410)


def report_expired() -> AwsError:
    # Unconfirmed: the model's description.
    return AwsError(
        "ReportExpired",
        "The most recent credential report has expired. To generate a new credential "
        "report, use GenerateCredentialReport.",
        410,
    )
