// AssumeRole with the AWS SDK for JavaScript v3's STS client, then GetCallerIdentity
// with the returned temporary credentials; prints the answers as one JSON line. Usage:
//   node assume_role.mjs ENDPOINT ACCESS_KEY SECRET_KEY ROLE_ARN SESSION_NAME
import { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";

const [endpoint, accessKeyId, secretAccessKey, roleArn, sessionName] = process.argv.slice(2);
const common = { region: "us-east-1", endpoint, maxAttempts: 1 };

try {
  const sts = new STSClient({ ...common, credentials: { accessKeyId, secretAccessKey } });
  const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
  const c = assumed.Credentials;
  const asRole = new STSClient({
    ...common,
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
  });
  const identity = await asRole.send(new GetCallerIdentityCommand({}));
  console.log(JSON.stringify({
    assumed: {
      Arn: assumed.AssumedRoleUser.Arn,
      AssumedRoleId: assumed.AssumedRoleUser.AssumedRoleId,
      AccessKeyId: c.AccessKeyId,
      Expiration: c.Expiration?.toISOString(),
    },
    identity: { Account: identity.Account, Arn: identity.Arn, UserId: identity.UserId },
  }));
} catch (err) {
  console.log(JSON.stringify({ error: { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode } }));
}
