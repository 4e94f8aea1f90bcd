/**
 * A public key as a JSON Web Key (RFC 7517). Our own type rather than jose's, so the published declarations do
 * not import an ESM-only package: CommonJS consumers type-check without `module: nodenext`.
 */
export interface PublicJwk {
  kty?: string;
  n?: string;
  e?: string;
  alg?: string;
  kid?: string;
  use?: string;
  key_ops?: string[];
  [parameter: string]: unknown;
}
