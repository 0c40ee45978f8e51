import { Injectable } from '@nestjs/common';

/** Set when SIGTERM arrives, so readiness fails and the load balancer stops sending traffic. */
@Injectable()
export class ShutdownState {
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  beginDrain(): void {
    this.draining = true;
  }
}
