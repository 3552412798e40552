export {
  findNatsServerBinary,
  tcpAnswers,
  startNatsServerProcess,
  stopProcess,
  type NatsServerProcessOptions,
} from './nats-server-process';
