// The password policy of conf/authentication.json (passwordPolicy): checked wherever a password is
// set over REST (managed/user create, PUT, PATCH; internal/user PATCH). A violation is IDM's 403
// "Failed policy validation" with detail.failedPolicyRequirements. Passwords of internal users
// seeded from conf are not checked (their default is warned about at start).
import { PasswordPolicyConfig } from '../config/conf';
import { Forbidden } from '../errors';

export const MAX_PASSWORD_LENGTH = 1024;

export interface PolicyFailure {
  property: string;
  policyRequirements: string[];
}

/** The requirements `password` fails, e.g. ['MIN_LENGTH:8']; empty when it passes. */
export function passwordFailures(password: unknown, userName: unknown, policy: PasswordPolicyConfig): string[] {
  if (typeof password !== 'string') return ['VALID_TYPE:string'];
  const out: string[] = [];
  if (password.length < policy.minLength) out.push(`MIN_LENGTH:${policy.minLength}`);
  if (password.length > MAX_PASSWORD_LENGTH) out.push(`MAX_LENGTH:${MAX_PASSWORD_LENGTH}`);
  if (policy.notUserName && typeof userName === 'string' && userName && password.toLowerCase() === userName.toLowerCase()) out.push('NOT_EQUAL_TO:userName');
  return out;
}

/** IDM's policy refusal: a 403 whose detail lists the failed requirements. */
export function failedPolicy(failures: PolicyFailure[]): Forbidden {
  return new Forbidden(`Failed policy validation: ${failures.map((f) => `${f.property} ${f.policyRequirements.join(',')}`).join('; ')}`, {
    result: false,
    failedPolicyRequirements: failures,
  });
}
