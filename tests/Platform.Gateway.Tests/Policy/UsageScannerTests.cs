using System.Text;
using Platform.Services.Gateway.Policy;

namespace Platform.Gateway.Tests.Policy;

public sealed class UsageScannerTests
{
    private static void FeedInPieces(UsageScanner scanner, string text, int piece)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var i = 0; i < bytes.Length; i += piece)
        {
            scanner.Feed(bytes.AsSpan(i, Math.Min(piece, bytes.Length - i)));
        }
    }

    [Fact]
    public void A_json_response_reports_its_usage()
    {
        var scanner = new UsageScanner(eventStream: false);
        FeedInPieces(scanner, """{"model":"m1","usage":{"prompt_tokens":12,"completion_tokens":5}}""", 7);
        Assert.Equal(new UsageResult("m1", 12, 5, UsageSources.Reported), scanner.Complete(99));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(4096)]
    public void A_stream_reports_the_usage_of_its_final_chunk_however_it_is_split(int piece)
    {
        var stream = new StringBuilder();
        for (var i = 0; i < 4; i++)
        {
            stream.Append($"data: {{\"model\":\"m2\",\"choices\":[{{\"delta\":{{\"content\":\"t{i}\"}}}}]}}\r\n\r\n");
        }
        stream.Append("data: {\"model\":\"m2\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\ndata: [DONE]\n\n");
        var scanner = new UsageScanner(eventStream: true);
        FeedInPieces(scanner, stream.ToString(), piece);
        Assert.Equal(new UsageResult("m2", 3, 4, UsageSources.Reported), scanner.Complete(99));
    }

    [Fact]
    public void A_stream_without_usage_counts_its_content_chunks_and_keeps_the_prompt_estimate()
    {
        var scanner = new UsageScanner(eventStream: true);
        FeedInPieces(scanner, "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n" +
            "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n" +
            "data: {\"choices\":[{\"delta\":{\"content\":\"\"}}]}\n\n" +
            "data: {\"choices\":[{\"text\":\"b\"}]}\n\n" +
            "data: {\"choices\":[{\"delta\":{\"content\":\"c", 5);
        Assert.Equal(new UsageResult("", 42, 2, UsageSources.Counted), scanner.Complete(42));
    }

    [Fact]
    public void A_body_that_is_not_json_reports_nothing()
    {
        var scanner = new UsageScanner(eventStream: false);
        FeedInPieces(scanner, "<html>oops</html>", 4);
        Assert.Equal(UsageSources.None, scanner.Complete(1).Source);
    }
}
