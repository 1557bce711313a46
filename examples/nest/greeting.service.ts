import { Injectable } from '@nestjs/common';

/** An ordinary Nest provider that the STOMP handlers get injected. */
@Injectable()
export class GreetingService {
  private count = 0;

  greet(name: string): string {
    this.count++;
    return `Hello, ${name}! (greeting #${this.count})`;
  }

  get greeted(): number {
    return this.count;
  }
}
