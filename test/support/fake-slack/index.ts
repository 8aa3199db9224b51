export { BLOCK_KIT_LIMITS, type Surface, validateBlocks, validateView } from "./block-kit.js";
export { FAST_RETRY, type LogEntry, MemoryLogger } from "./client-kit.js";
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
