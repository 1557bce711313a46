import type { StompServerConfig } from '../broker';

/** Options of {@link StompboxModule.forRoot}: every option of `new StompServer()`. */
export type StompboxModuleOptions = StompServerConfig;

/** What {@link StompboxModule.forRootAsync} takes: a factory of the options with its injected dependencies. */
export interface StompboxModuleAsyncOptions {
  /** Modules whose providers the factory injects (e.g. Nest's ConfigModule). @defaultValue `[]` */
  imports?: any[];
  /** Tokens injected into `useFactory`, in order. @defaultValue `[]` */
  inject?: any[];
  /** Builds the options. */
  useFactory: (...args: any[]) => StompboxModuleOptions | Promise<StompboxModuleOptions>;
}

/** The injection token of the resolved module options. */
export const STOMPBOX_OPTIONS = Symbol('STOMPBOX_OPTIONS');
