export { BLOCK_KIT_LIMITS, type Surface, validateBlocks, validateView } from "./block-kit.js";
export {
  type BoltTestApp,
  type BoltTestOptions,
  FAST_RETRY,
  type LogEntry,
  MemoryLogger,
  startBoltApp,
} from "./bolt-harness.js";
export { FakeSlack, startFakeSlack } from "./server.js";
export type {
  ChannelInfo,
  FailOptions,
  FakeSlackOptions,
  MethodHandler,
  RecordedCall,
  RecordedResponse,
  StoredEphemeral,
  StoredFile,
  StoredMessage,
  UserInfo,
} from "./types.js";
