export * from './subject';
export * from './oidc.verifier';
export * from './dev.issuer';
export * from './subject.assertion';
export * from './rpc.authorization';
export * from './service.identity';
export * from './oidc.config';
