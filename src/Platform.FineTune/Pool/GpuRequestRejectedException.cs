namespace Platform.FineTune.Pool;

/// <summary>The pool can never place the request (no device is large enough); the job cannot run.</summary>
public sealed class GpuRequestRejectedException(string reason) : Exception(reason);
