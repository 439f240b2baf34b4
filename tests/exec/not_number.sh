echo '{"y": 1, "quality": "high"}'
