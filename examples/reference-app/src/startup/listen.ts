import type { Server } from 'node:http';
import { StartupProblem } from './problem.js';

/** Binds the port, or rejects with a sentence naming PORT when it is taken or not allowed. */
export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE')
        reject(
          new StartupProblem(
            'PORT',
            `PORT ${port} is taken: another process is listening there. Stop it, or start with PORT set to a free port (PORT=3001 npm start).`,
            { cause: error },
          ),
        );
      else if (error.code === 'EACCES')
        reject(
          new StartupProblem(
            'PORT',
            `PORT ${port} needs privileges this process does not have. Use a port above 1023 and let your proxy listen on 80/443.`,
            { cause: error },
          ),
        );
      else reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port);
  });
}
