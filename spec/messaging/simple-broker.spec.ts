import { SimpleBroker } from '../../broker/messaging/simple-broker';
import { engineContract } from './engine-contract';

engineContract(describe, 'SimpleBroker', async () => {
  const broker = new SimpleBroker();
  return { nodes: [broker], close: async () => void (await broker.close()) };
});
