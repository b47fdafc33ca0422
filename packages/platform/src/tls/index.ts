export * from './tls.config';
export * from './grpc.credentials';
export * from './https.options';
