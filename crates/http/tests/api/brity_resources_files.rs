//! Brity's file shared resources: multipart upload with the spec's fields, the download
//! (`isSvg=N`) and the inline SVG view (`isSvg=Y`), modification with and without a new
//! file, category changes, and the size limit (refused before being stored).

use crate::both;
use crate::brity_resources::*;
use reqwest::Method;
use serde_json::json;

const HELLO: &[u8] = b"hello world\n";
const SVG: &[u8] =
    b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"8\" height=\"8\">\
<script>alert(1)</script><rect width=\"8\" height=\"8\"/></svg>\n";

both! {
    async fn file_resources_upload_download_and_show_svg_inline(app) {
        let (_, token) = admin_of(&app, "RFA").await;
        let id = "43bf2861-fd06-4279-bf55-d585b111c7xx";
        let r = multipart(&app, &token, Method::POST, ASSET, &[
            ("id", id), ("name", "API common resource file_4"), ("category", "file"),
            ("isSecureData", "N"), ("largeCategory", "[]"), ("mediumCategory", ""),
            ("desc", "Description of API public resource file"),
        ], Some((r"C:\Users\me\hello - copy (2).txt", HELLO))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_fields(&r.body, ASSET_FIELDS, &["fileSize"]);
        assert_eq!(
            (r.body["fileSize"].as_str(), r.body["filePath"].as_str(), r.body["category"].as_str(), r.body["largeCategory"].as_str()),
            (Some("12"), Some("hello - copy (2).txt"), Some("file"), Some("[]"))
        );

        // The download.
        let d = get(&app, &token, &format!("{ASSET}?id={id}&isSvg=N")).await;
        assert_eq!(d.status, 200);
        assert_eq!(d.raw, HELLO);
        assert_eq!(d.header("content-type"), "application/octet-stream");
        assert_eq!(d.header("x-content-type-options"), "nosniff");
        assert_eq!(d.header("content-disposition"),
            "attachment; filename=\"hello - copy (2).txt\"; filename*=UTF-8''hello%20-%20copy%20%282%29.txt");
        // Not an SVG: isSvg=Y is refused; a bad isSvg too.
        get(&app, &token, &format!("{ASSET}?id={id}&isSvg=Y")).await.coded(400, "INVALID_PARAMETER");
        get(&app, &token, &format!("{ASSET}?id={id}&isSvg=maybe")).await.coded(400, "INVALID_PARAMETER");
        get(&app, &token, &format!("{ASSET}?id=unknown&isSvg=N")).await.coded(404, "OBJECT_IS_NOT_EXIST");
        // The detail view names the file.
        let v = get(&app, &token, &format!("{ASSET}?id={id}&detail=Y")).await;
        assert_fields(&v.body, DETAIL_FIELDS, &[]);
        assert_eq!((v.body["value"].as_str(), v.body["category"].as_str()), (Some("hello - copy (2).txt"), Some("file")));

        // An SVG is shown inline as an image, under a policy that runs none of its scripts.
        let s = multipart(&app, &token, Method::POST, ASSET, &[("name", "Logo"), ("category", "file")], Some(("logo.svg", SVG))).await;
        assert_eq!(s.status, 200, "{}", s.body);
        let sid = s.body["id"].as_str().unwrap();
        let d = get(&app, &token, &format!("{ASSET}?id={sid}&isSvg=Y")).await;
        assert_eq!((d.status, d.raw.as_slice()), (200, SVG));
        assert_eq!(d.header("content-type"), "image/svg+xml");
        assert!(d.header("content-disposition").starts_with("inline; filename=\"logo.svg\""));
        assert!(d.header("content-security-policy").contains("sandbox"));
        assert!(d.header("content-security-policy").contains("default-src 'none'"));
        // The list shows each file's size.
        let l = get(&app, &token, ASSETS).await.body;
        assert_eq!(names(&l), ["API common resource file_4", "Logo"]);
        assert_eq!((l[0]["fileSize"].as_str(), l[1]["fileSize"].as_str()), (Some("12"), Some(SVG.len().to_string().as_str())));

        // Modification without a file keeps it; with one replaces it.
        let m = multipart(&app, &token, Method::POST, ASSET, &[("id", id), ("desc", "kept file")], None).await;
        assert_eq!((m.status, m.body["filePath"].as_str(), m.body["fileSize"].as_str()), (200, Some("hello - copy (2).txt"), Some("12")));
        assert_eq!(get(&app, &token, &format!("{ASSET}?id={id}&isSvg=N")).await.raw, HELLO);
        let m = multipart(&app, &token, Method::POST, ASSET, &[("id", id)], Some(("new.bin", &[0u8, 1, 2, 255]))).await;
        assert_eq!((m.body["filePath"].as_str(), m.body["fileSize"].as_str()), (Some("new.bin"), Some("4")));
        assert_eq!(get(&app, &token, &format!("{ASSET}?id={id}&isSvg=N")).await.raw, [0u8, 1, 2, 255]);

        // Refusals: a secure file, no file, data for a file, a file for a string.
        for (fields, file) in [
            (vec![("name", "f1"), ("category", "file"), ("isSecureData", "Y")], Some(("a.txt", HELLO))),
            (vec![("name", "f2"), ("category", "file")], None),
            (vec![("name", "f3"), ("category", "file"), ("data", "text")], Some(("a.txt", HELLO))),
            (vec![("name", "f4"), ("category", "string"), ("data", "text")], Some(("a.txt", HELLO))),
        ] {
            multipart(&app, &token, Method::POST, ASSET, &fields, file).await.coded(400, "INVALID_PARAMETER");
        }
        // A file becomes a string only with its data, and no longer downloads.
        multipart(&app, &token, Method::POST, ASSET, &[("id", id), ("category", "string")], None).await.coded(400, "INVALID_PARAMETER");
        let m = register(&app, &token, ASSET, &[("id", id), ("category", "string"), ("data", "now text")]).await;
        assert_eq!((m["filePath"].as_str(), m.get("fileSize")), (Some("now text"), None));
        get(&app, &token, &format!("{ASSET}?id={id}&isSvg=N")).await.coded(400, "INVALID_PARAMETER");
        // And back.
        let m = multipart(&app, &token, Method::POST, ASSET, &[("id", id), ("category", "file")], Some(("back.txt", HELLO))).await;
        assert_eq!((m.status, m.body["filePath"].as_str()), (200, Some("back.txt")));
        // A file needs a name.
        multipart(&app, &token, Method::POST, ASSET, &[("name", "nameless"), ("category", "file")], Some(("", HELLO)))
            .await.coded(400, "INVALID_PARAMETER");
    }

    async fn oversized_files_are_refused_before_being_stored(app) {
        let (_, token) = admin_of(&app, "RFB").await;
        let big = vec![7u8; 20 * 1024 * 1024 + 1];
        let r = multipart(&app, &token, Method::POST, ASSET, &[("name", "huge"), ("category", "file")], Some(("huge.bin", &big))).await;
        r.coded(413, "INVALID_PARAMETER");
        assert_eq!(get(&app, &token, ASSETS).await.body, json!([]));
        // The limit itself is accepted.
        let ok = &big[..20 * 1024 * 1024];
        let r = multipart(&app, &token, Method::POST, ASSET, &[("name", "max"), ("category", "file")], Some(("max.bin", ok))).await;
        assert_eq!((r.status, r.body["fileSize"].as_str()), (200, Some("20971520")), "{}", r.body);
        let id = r.body["id"].as_str().unwrap();
        assert_eq!(get(&app, &token, &format!("{ASSET}?id={id}&isSvg=N")).await.raw.len(), 20 * 1024 * 1024);
        // A credential holds no file.
        multipart(&app, &token, Method::POST, CREDENTIAL, &[("name", "c"), ("data", "v")], Some(("a.txt", b"x")))
            .await.coded(400, "INVALID_PARAMETER");
    }
}
