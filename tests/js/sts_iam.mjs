// Calls gatehold with the AWS SDK for JavaScript v3 (an independent SigV4 signer)
// and prints the answers as one JSON line. Usage:
//   node sts_iam.mjs ENDPOINT ACCESS_KEY SECRET_KEY [USER_NAME]
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { IAMClient, GetUserCommand } from "@aws-sdk/client-iam";

const [endpoint, accessKeyId, secretAccessKey, userName] = process.argv.slice(2);
const common = { region: "us-east-1", endpoint, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 };

async function attempt(fn) {
  try {
    return { ok: await fn() };
  } catch (err) {
    return { error: { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode } };
  }
}

const sts = new STSClient(common);
const iam = new IAMClient(common);
const identity = await attempt(async () => {
  const r = await sts.send(new GetCallerIdentityCommand({}));
  return { Account: r.Account, Arn: r.Arn, UserId: r.UserId };
});
const user = await attempt(async () => {
  const r = await iam.send(new GetUserCommand(userName ? { UserName: userName } : {}));
  return { UserName: r.User.UserName, Arn: r.User.Arn, UserId: r.User.UserId };
});
console.log(JSON.stringify({ identity, user }));
