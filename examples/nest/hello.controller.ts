import { Controller, Get } from '@nestjs/common';
import { GreetingService } from './greeting.service';

/** A plain Nest HTTP route on the same server and port as the STOMP endpoint. */
@Controller('hello')
export class HelloController {
  constructor(private readonly greetings: GreetingService) {}

  @Get()
  hello(): { greeted: number } {
    return { greeted: this.greetings.greeted };
  }
}
