// AssumeRoleWithSAML with the AWS SDK for JavaScript v3's STS client (no credentials:
// the SDK sends it unsigned), then GetCallerIdentity with the returned temporary
// credentials; prints the answers as one JSON line. Usage:
//   node assume_role_with_saml.mjs ENDPOINT ROLE_ARN PRINCIPAL_ARN SAML_ASSERTION
import { STSClient, AssumeRoleWithSAMLCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";

const [endpoint, roleArn, principalArn, assertion] = process.argv.slice(2);
const common = { region: "us-east-1", endpoint, maxAttempts: 1 };

try {
  const sts = new STSClient(common);
  const answer = await sts.send(new AssumeRoleWithSAMLCommand({
    RoleArn: roleArn, PrincipalArn: principalArn, SAMLAssertion: assertion,
  }));
  const c = answer.Credentials;
  const asRole = new STSClient({
    ...common,
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
  });
  const identity = await asRole.send(new GetCallerIdentityCommand({}));
  console.log(JSON.stringify({
    answer: {
      Arn: answer.AssumedRoleUser.Arn, Subject: answer.Subject, SubjectType: answer.SubjectType,
      Issuer: answer.Issuer, Audience: answer.Audience, NameQualifier: answer.NameQualifier,
    },
    identity: { Arn: identity.Arn },
  }));
} catch (err) {
  console.log(JSON.stringify({ error: { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode } }));
}
