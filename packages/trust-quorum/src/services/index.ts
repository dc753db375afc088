/** Services started after unlock, supervised with restart policies and backoff. */
export {
  backoffDelay,
  HEALTHY_RUN_MS,
  type RestartPolicy,
  type ServiceExit,
  type ServiceExitEvent,
  type ServiceSpec,
  type ServiceState,
  type ServiceStatus,
  ServiceSupervisor,
  type SupervisorInit,
} from './supervisor.js';
