using System.Text;
using Platform.Ingestion.Parsing;
using UglyToad.PdfPig;
using UglyToad.PdfPig.Exceptions;

namespace Platform.Ingestion.Tests;

/// <summary>The encrypted-PDF fixture is a real one: it opens with its user password and only with it.</summary>
public sealed class EncryptedPdfTests
{
    private const string Sentence = "The vault code is seven seven three.";

    [Fact]
    public void Rc4_matches_the_published_test_vector()
    {
        // Key "Key", plaintext "Plaintext" → BBF316E8D940AF0AD3 (the ARCFOUR vectors on Wikipedia's RC4 page).
        Assert.Equal("BBF316E8D940AF0AD3", Convert.ToHexString(EncryptedPdf.Rc4(Encoding.ASCII.GetBytes("Key"), Encoding.ASCII.GetBytes("Plaintext"))));
    }

    [Fact]
    public void The_fixture_opens_with_its_user_password_and_yields_its_text()
    {
        var bytes = EncryptedPdf.Build(Sentence, userPassword: "open-sesame", ownerPassword: "owner-secret");
        using var pdf = PdfDocument.Open(bytes, new ParsingOptions { UseLenientParsing = false, Password = "open-sesame" });
        Assert.True(pdf.IsEncrypted);
        Assert.Contains(Sentence, pdf.GetPage(1).Text);
    }

    [Fact]
    public void Without_the_password_pdfpig_refuses_it_and_the_parser_says_password_protected()
    {
        var bytes = EncryptedPdf.Build(Sentence, userPassword: "open-sesame", ownerPassword: "owner-secret");
        Assert.Throws<PdfDocumentEncryptedException>(() => PdfDocument.Open(bytes, new ParsingOptions { UseLenientParsing = false }));
        var rejected = Assert.Throws<DocumentRejectedException>(() => new PdfParser().Parse(bytes, ParseLimits.Default));
        Assert.Contains("password-protected", rejected.Message);
    }
}
