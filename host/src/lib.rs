//! phasebound host: data input, CLI, phase orchestration and reports.
