import { Module } from '@nestjs/common';
import { StompboxModule } from '../../nest';
import { ChatHandlers } from './chat.handlers';
import { GreetingService } from './greeting.service';
import { HelloController } from './hello.controller';

@Module({
  imports: [
    StompboxModule.forRoot({
      endpoints: ['/ws'], // SockJS and plain WebSocket at /ws, on Nest's own port
      applicationPrefixes: ['/app'],
      brokerPrefixes: ['/topic', '/queue'],
    }),
  ],
  controllers: [HelloController],
  providers: [GreetingService, ChatHandlers],
})
export class AppModule {}
