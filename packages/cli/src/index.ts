export { startAllInOne, type RunningPlatform, type DevTokenRequest } from './all-in-one';
export { allInOneConfigSchema, type AllInOneConfig } from './config';
export { streamMeetingAudio, type StreamMeetingInput, type StreamMeetingResult } from './demo/meeting-streamer';
export { loadMeetingSample, type MeetingSample } from './demo/meeting-sample';
export { runDemo } from './demo/demo.command';
export { verifyAuditCommand, verifyCertificateCommand, loadPublicKeys, CERTIFICATE_KEYS_PATH, type VerifyOutcome } from './verify/verify.command';
