/**
 * Experiment (`npm run bench -- --versus-experiment no-redis-deadline`): `RedisService#call` runs
 * the command directly, with no reply deadline and no circuit breaker. Half of no-deadlines.ts.
 */
import { RedisService, RedisUnavailableError } from '../../src/redis/redis.service';

process.stderr.write('experiment no-redis-deadline: RedisService#call without deadline or breaker\n');
RedisService.prototype.call = async function call<T>(this: RedisService, command: (client: NonNullable<RedisService['client']>) => Promise<T>): Promise<T> {
  const client = this.client;
  if (!client) throw new RedisUnavailableError('redis is not configured');
  return command(client);
};
