/**
 * stompbox/nest: the NestJS module (`@nestjs/common` and `@nestjs/core` are optional peer
 * dependencies, loaded only through this entry point).
 */
export { StompboxModule, type StompboxDynamicModule } from './stompbox-module';
export { StompboxExplorer } from './stompbox-explorer';
export { STOMPBOX_OPTIONS, type StompboxModuleOptions, type StompboxModuleAsyncOptions } from './stompbox-options';
