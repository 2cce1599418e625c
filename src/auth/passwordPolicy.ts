// The password policy of conf/authentication.json (passwordPolicy): checked wherever a password is
// set over REST (managed/user create, PUT, PATCH; internal/user PATCH). A violation is IDM's 403
// "Failed policy validation" with detail.failedPolicyRequirements, each requirement an object
// {policyRequirement, params?} as OpenIDM's policy service answers. Passwords of internal users
// seeded from conf are not checked (their default is warned about at start).
import { PasswordPolicyConfig } from '../config/conf';
import { Forbidden } from '../errors';
import { describeFailures, PolicyFailure, Requirement } from '../managed/policies';

export type { PolicyFailure, Requirement } from '../managed/policies';

export const MAX_PASSWORD_LENGTH = 1024;

/** The requirements `password` fails, e.g. [{policyRequirement: 'MIN_LENGTH', params: {minLength: 8}}]; empty when it passes. */
export function passwordFailures(password: unknown, userName: unknown, policy: PasswordPolicyConfig): Requirement[] {
  if (typeof password !== 'string') return [{ policyRequirement: 'VALID_TYPE', params: { types: ['string'] } }];
  const out: Requirement[] = [];
  if (password.length < policy.minLength) out.push({ policyRequirement: 'MIN_LENGTH', params: { minLength: policy.minLength } });
  if (password.length > MAX_PASSWORD_LENGTH) out.push({ policyRequirement: 'MAX_LENGTH', params: { maxLength: MAX_PASSWORD_LENGTH } });
  // IDM's nearest policy (cannot-contain-others on userName); reconflow refuses equality, case-insensitive.
  if (policy.notUserName && typeof userName === 'string' && userName && password.toLowerCase() === userName.toLowerCase()) {
    out.push({ policyRequirement: 'CANNOT_CONTAIN_OTHERS', params: { disallowedFields: 'userName' } });
  }
  return out;
}

/** IDM's policy refusal: 403 "Failed policy validation" whose detail lists the failed requirements. */
/** Its message names the failures ("Failed policy validation: mail REQUIRED") for logs and the recon audit; over HTTP it is IDM's "Failed policy validation" (src/api/errors.ts). */
export class PolicyRefusal extends Forbidden {
  constructor(readonly failures: PolicyFailure[]) {
    super(`Failed policy validation: ${describeFailures(failures)}`, { result: false, failedPolicyRequirements: failures });
  }
}

export function failedPolicy(failures: PolicyFailure[]): PolicyRefusal {
  return new PolicyRefusal(failures);
}
