using Platform.Services.Gateway.Policy;

namespace Platform.Services.Gateway.Metering;

/// <summary>A write-through response body that shows every byte to a <see cref="UsageScanner"/> (flushes pass through, so streams stay live).</summary>
public sealed class MeteringStream(Stream inner, Func<UsageScanner> scannerFactory) : Stream
{
    private UsageScanner? _scanner;

    /// <summary>Null until the first byte was written (the content type decides the scanner).</summary>
    public UsageScanner? Scanner => _scanner;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count)
    {
        Scan(buffer.AsSpan(offset, count));
        inner.Write(buffer, offset, count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Scan(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    private void Scan(ReadOnlySpan<byte> data)
    {
        _scanner ??= scannerFactory();
        _scanner.Feed(data);
    }
}
