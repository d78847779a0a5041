using Microsoft.Extensions.Logging;

namespace Dllm.Training;

/// <summary>
/// The demo-model trainer's log events (source-generated). Event ids 5000-5999, stable (table in
/// docs/operations.md). Never renumber one; retire it instead.
/// </summary>
internal static partial class TrainingLog
{
    [LoggerMessage(EventId = 5000, EventName = "TrainingStarted", Level = LogLevel.Information, Message = "Demo model: {Parameters:N0} parameters, vocabulary {Vocab} ({Merges} merges), {Train} training and {HeldOut} held-out examples, longest {Longest} tokens, on {Device}")]
    public static partial void TrainingStarted(this ILogger logger, long parameters, int vocab, int merges, int train, int heldOut, int longest, TorchSharp.torch.Device device);

    [LoggerMessage(EventId = 5001, EventName = "TrainingStep", Level = LogLevel.Information, Message = "step {Step}/{Steps} loss {Loss:F4} lr {Lr:E2} grad-norm {Norm:F2} {TokensPerSecond:N0} tokens/s")]
    public static partial void TrainingStep(this ILogger logger, int step, int steps, double loss, double lr, double norm, double tokensPerSecond);

    [LoggerMessage(EventId = 5002, EventName = "HeldOutLoss", Level = LogLevel.Information, Message = "step {Step}: held-out loss {Loss:F4}")]
    public static partial void HeldOutLoss(this ILogger logger, int step, double loss);

    [LoggerMessage(EventId = 5003, EventName = "CheckpointWritten", Level = LogLevel.Information, Message = "step {Step}: checkpoint written to {Directory}")]
    public static partial void CheckpointWritten(this ILogger logger, int step, string directory);

    [LoggerMessage(EventId = 5004, EventName = "ExactMatch", Level = LogLevel.Information, Message = "step {Step}: exact match {Task} {Correct}/{Prompts} ({Accuracy:P0}), {TokensPerForward:F2} tokens per forward")]
    public static partial void ExactMatch(this ILogger logger, int step, string task, int correct, int prompts, double accuracy, double tokensPerForward);

    [LoggerMessage(EventId = 5005, EventName = "ExactMatchMiss", Level = LogLevel.Information, Message = "step {Step}: {Task} miss: expected {Expected} got {Generated}")]
    public static partial void ExactMatchMiss(this ILogger logger, int step, string task, string expected, string generated);

    [LoggerMessage(EventId = 5007, EventName = "Tf32Matmuls", Level = LogLevel.Information, Message = "float32 matmuls on {Device} use TF32 tensor cores (--tf32)")]
    public static partial void Tf32Matmuls(this ILogger logger, TorchSharp.torch.Device device);

    [LoggerMessage(EventId = 5008, EventName = "DeterministicAlgorithms", Level = LogLevel.Information, Message = "training on {Device} is deterministic (--deterministic): libtorch's deterministic algorithms, cuBLAS workspace {CublasWorkspace}")]
    public static partial void DeterministicAlgorithms(this ILogger logger, TorchSharp.torch.Device device, string cublasWorkspace);

    [LoggerMessage(EventId = 5006, EventName = "DecodingSweepRow", Level = LogLevel.Information, Message = "threshold {Threshold} block {BlockSize}: {Scores}")]
    public static partial void DecodingSweepRow(this ILogger logger, double threshold, int blockSize, string scores);

    [LoggerMessage(EventId = 5009, EventName = "DecodingSweepMiss", Level = LogLevel.Information, Message = "threshold {Threshold} block {BlockSize}: {Task} miss: expected {Expected} got {Generated}")]
    public static partial void DecodingSweepMiss(this ILogger logger, double threshold, int blockSize, string task, string expected, string generated);
}
