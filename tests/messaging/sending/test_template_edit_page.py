def test_template_edit_dialog(user_client, account, sending_setup):
    t = sending_setup["template"]
    page = user_client.get(f"/sms/templates/{t.uuid}/edit/", HTTP_HX_REQUEST="true").content.decode()
    assert "Edit template" in page and str(t.uuid) in page
    res = user_client.post(
        f"/sms/templates/{t.uuid}/edit/",
        {
            "sender": str(t.sender.uuid),
            "name": "OTP 2",
            "type": "T",
            "template_id": t.template_id,
            "body": "Your code is {{var1}}. Do not share it.",
        },
        HTTP_HX_REQUEST="true",
    )
    assert res.status_code == 204
    t.refresh_from_db()
    assert t.name == "OTP 2" and t.status == 0
